# shellcheck shell=bash
# The cluster's PKI: the CA, the certificates and the kubeconfigs.
# Sourced by hack/cluster/cluster.sh, which defines the variables and the
# helpers (log, die, ...) these functions use; it only defines functions.

# --------------------------------------------------------------------- PKI ---

# mkcert NAME CN O(or -) KIND(client|server|serving-client) [SAN]
mkcert() {
	local name=$1 cn=$2 o=$3 kind=$4 san=${5:-} subj ext
	[[ -s $PKI/$name.crt && -s $PKI/$name.key ]] && return 0
	subj="/CN=$cn"
	[[ $o != - ]] && subj="/O=$o$subj"
	ext=$PKI/$name.ext
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		case $kind in
		client) echo "extendedKeyUsage=clientAuth" ;;
		server) echo "extendedKeyUsage=serverAuth" ;;
		both) echo "extendedKeyUsage=serverAuth,clientAuth" ;;
		esac
		[[ -n $san ]] && echo "subjectAltName=$san"
	} >"$ext"
	openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key.tmp" 2>/dev/null
	openssl req -new -key "$PKI/$name.key.tmp" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
	openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
		-days 3650 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
	rm -f "$PKI/$name.csr" "$ext"
	mv "$PKI/$name.key.tmp" "$PKI/$name.key"
}

make_pki() {
	local ip=$1 params
	mkdir -p "$PKI"
	chmod 700 "$PKI"
	if [[ ! -s $PKI/ca.crt || ! -s $PKI/ca.key ]]; then
		log "making the cluster CA"
		openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
		openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=sc-cluster-ca" -days 3650 -sha256 \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
			-out "$PKI/ca.crt" 2>/dev/null
	fi
	# Serving certificates name the node IP: remake them when it changed.
	params="node=$NODE_NAME ip=$ip svc=$SERVICE_IP"
	if [[ $(cat "$PKI/params" 2>/dev/null) != "$params" ]]; then
		rm -f "$PKI"/apiserver.{crt,key} "$PKI"/kubelet-serving.{crt,key}
		echo "$params" >"$PKI/params"
	fi
	mkcert apiserver kube-apiserver - server \
		"DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost,DNS:$NODE_NAME,IP:127.0.0.1,IP:$SERVICE_IP,IP:$ip"
	mkcert apiserver-kubelet-client kube-apiserver-kubelet-client - client
	mkcert apiserver-etcd-client kube-apiserver-etcd-client - client
	mkcert etcd-server etcd - both "DNS:localhost,IP:127.0.0.1"
	mkcert admin kubernetes-admin system:masters client
	mkcert controller-manager system:kube-controller-manager - client
	mkcert scheduler system:kube-scheduler - client
	mkcert kubelet "system:node:$NODE_NAME" system:nodes client
	mkcert kubelet-serving "system:node:$NODE_NAME" system:nodes server "DNS:$NODE_NAME,DNS:localhost,IP:$ip,IP:127.0.0.1"
	mkcert kube-proxy system:kube-proxy - client
	if [[ ! -s $PKI/sa.key ]]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key.tmp" 2>/dev/null
		openssl pkey -in "$PKI/sa.key.tmp" -pubout -out "$PKI/sa.pub" 2>/dev/null
		mv "$PKI/sa.key.tmp" "$PKI/sa.key"
	fi
	chmod 600 "$PKI"/*.key
}

# mkkubeconfig FILE CERTNAME: a kubeconfig with the certificates embedded.
mkkubeconfig() {
	local file=$1 cert=$2 user=$2
	cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sc-cluster
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$cert.crt")
    client-key-data: $(base64 -w0 <"$PKI/$cert.key")
contexts:
- name: sc-cluster
  context:
    cluster: sc-cluster
    user: $user
current-context: sc-cluster
EOF
	chmod 600 "$file.tmp"
	mv "$file.tmp" "$file"
}
