#!/usr/bin/env bash
# Development PKI for Parley: a throwaway CA, a server certificate for localhost/127.0.0.1, and a
# client certificate per user name given (CN = the user name, which a listener with
# use_identity_as_username takes as the MQTT user name). Never use these outside development.
#
# Usage: certs/make-dev-certs.sh OUTDIR [USER...]     (default users: alice bob)
# Idempotent: what already exists in OUTDIR is kept.
set -euo pipefail
out=${1:?usage: certs/make-dev-certs.sh OUTDIR [USER...]}
shift
users=("$@")
[ ${#users[@]} -gt 0 ] || users=(alice bob)
command -v openssl >/dev/null || { echo "make-dev-certs: openssl is missing (tools/deps.sh)" >&2; exit 1; }
mkdir -p "$out"
cd "$out"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

if [ ! -s ca.pem ]; then
    openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 825 \
        -subj "/CN=Parley development CA" 2>/dev/null
fi
if [ ! -s server.pem ]; then
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
    openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
        -extfile server.ext -out server.pem 2>/dev/null
    rm -f server.csr server.ext
fi
for u in "${users[@]}"; do
    [[ $u =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || { echo "make-dev-certs: bad user name: $u" >&2; exit 2; }
    [ -s "client-$u.pem" ] && continue
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext
    openssl req "${ec[@]}" -keyout "client-$u.key" -out "client-$u.csr" -subj "/CN=$u" 2>/dev/null
    openssl x509 -req -in "client-$u.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
        -extfile client.ext -out "client-$u.pem" 2>/dev/null
    rm -f "client-$u.csr" client.ext
done
chmod 600 ./*.key
echo "make-dev-certs: CA, server and client certificates (${users[*]}) in $out" >&2
