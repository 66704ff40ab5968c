# tls.sh - a throw-away CA and server certificates for the test servers (slapd.sh, samba.sh).
# Needs only bash and openssl.
#   tls_make_ca DIR NAME                          DIR/ca.crt, DIR/ca.key
#   tls_make_cert CADIR OUTDIR [CN [SAN]]         OUTDIR/server.crt, OUTDIR/server.key, signed
#       by CADIR's CA; CN defaults to 127.0.0.1, SAN to "IP:127.0.0.1,DNS:localhost"

tls_make_ca() {
	mkdir -p "$1" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
		-keyout "$1/ca.key" -out "$1/ca.crt" -subj "/O=medimail-sync tests/CN=$2" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
}

tls_make_cert() {
	local cn=${3:-127.0.0.1} san=${4:-IP:127.0.0.1,DNS:localhost}

	mkdir -p "$2" &&
	openssl req -newkey rsa:2048 -nodes -keyout "$2/server.key" -out "$2/server.csr" \
		-subj "/O=medimail-sync tests/CN=$cn" >/dev/null 2>&1 &&
	printf '%s\n' "subjectAltName=$san" \
		"basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" >"$2/server.ext" &&
	openssl x509 -req -in "$2/server.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$2/server.ext" \
		-out "$2/server.crt" >/dev/null 2>&1
}
