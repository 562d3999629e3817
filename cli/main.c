/*
 * pmgtmctl: the operator's command line. The cluster commands (members,
 * drain, reachability, status, ca, cert) arrive with the control socket;
 * this build knows only its version.
 */
#include <stdio.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: pmgtmctl --version\n"
		"\n"
		"This build of pmgtm runs standalone nodes only; the cluster "
		"commands\n(members, drain, undrain, reachability, status, "
		"ca, cert) are not part of it.\n");
}

int
main(int argc, char **argv)
{
	if (argc == 2 &&
	    (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("pmgtmctl %s\n", PMGTM_VERSION);
		return 0;
	}
	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 1;
}
