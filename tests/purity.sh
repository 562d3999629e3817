#!/bin/sh
# Fails when the pure core (dns/, gossip/) includes libuv, opens sockets,
# reads a clock or draws randomness: those belong to node/.
top=${1:-.}
hits=$(grep -rnE '#include <uv\.h>|[^_a-z]socket\(|[^_a-z]time\(|clock_gettime|[^_a-z]s?rand\(|gettimeofday|randombytes' \
	"$top/dns" "$top/gossip" 2>/dev/null)
if [ -n "$hits" ]; then
	echo "impure code in the core:"
	echo "$hits"
	exit 1
fi
echo "purity: dns/ and gossip/ are free of I/O, clocks and randomness"
