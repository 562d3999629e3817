/*
 * Messages for the gossip error codes.
 */
#include "gossip/error.h"

#include <string.h>

const char *
gsp_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case GSP_ECERTSIG:
		return "certificate not signed by this cluster's CA";
	case GSP_ECERTEXPIRED:
		return "certificate expired or not yet valid";
	case GSP_EREJECTED:
		return "record refused";
	case GSP_ECERTCLUSTER:
		return "certificate for another cluster";
	}
	if (err <= GSP_ERR_FIRST && err >= GSP_ERR_LAST)
		return "unknown pmgtm error";
	if (err < 0)
		return strerror(-err);
	return "unknown error";
}
