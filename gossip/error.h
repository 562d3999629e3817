/*
 * Error codes of the gossip core. Functions return 0 on success and a
 * negative int on failure: either a negative errno (-EBADMSG for malformed
 * input, -ENOSPC for a buffer too small, -EINVAL for a bad argument, ...)
 * or one of the project codes below, which live in their own band
 * (GSP_ERR_FIRST..GSP_ERR_LAST, -1000..-1099) so the two never collide.
 *
 * New codes go at the end of the band, with a message in gossip/error.c.
 */
#ifndef PMGTM_GOSSIP_ERROR_H
#define PMGTM_GOSSIP_ERROR_H

#define GSP_ERR_FIRST (-1000)
#define GSP_ERR_LAST (-1099)

/* A certificate's signature does not verify against the CA public key:
 * issued by another CA, or altered after signing. */
#define GSP_ECERTSIG (-1001)
/* A certificate outside its validity window (expired, or not yet valid:
 * the issuer's and the verifier's clocks disagree by more than the skew
 * allowance). */
#define GSP_ECERTEXPIRED (-1002)
/* A record or packet refused: malformed, not signed by whom it claims,
 * older than what is held, or claiming what no honest peer would. The
 * function that returns it also says why (an enum gsp_reject). */
#define GSP_EREJECTED (-1003)
/* A certificate for another cluster (signed by a CA we trust, but naming
 * another cluster.name). */
#define GSP_ECERTCLUSTER (-1004)

/* A static, human readable message for @err: a project code of the band
 * above, or a negative errno. Never NULL. */
const char *gsp_strerror(int err);

#endif
