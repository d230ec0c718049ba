# shellcheck shell=bash disable=SC2034,SC2154
# The components' configuration files (containerd, CNI, kubelet, kube-proxy).
# Sourced by hack/cluster/cluster.sh, which defines the variables and the
# helpers (log, die, ...) these functions use; it only defines functions.
# Lint it with cluster.sh: shellcheck -x hack/cluster/cluster.sh. On its own,
# $here looks unassigned, KUBELET_CONFIG_CHANGED (read by cmd_up) and
# write_configs's ip argument (unused) look unused.

# ----------------------------------------------------------------- configs ---

# Can this process lower an oom_score_adj (CAP_SYS_RESOURCE, bit 24)? Some
# VMs and containers drop it from root's bounding set; then runc cannot give
# the sandbox its oom_score_adj of -998 and every pod fails with "can't get
# final child's PID from pipe: EOF".
have_cap_sys_resource() {
	local eff
	eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	(((16#$eff >> 24) & 1))
}

# The kubelet's configuration file ($STATE_DIR/config/kubelet.yaml).
kubelet_config() {
	cat <<EOF
# Written by hack/cluster/cluster.sh; rewritten on every 'up'.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: 0.0.0.0
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $PKI/ca.crt
authorization:
  mode: Webhook
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $STATE_DIR/config/resolv.conf
# Imported images cannot be pulled again: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 2%
  nodefs.inodesFree: 2%
  imagefs.available: 2%
serializeImagePulls: false
# Room for 200 StoppableContainers (a provider pod each) and then some; the
# /24 pod CIDR holds 253 pod addresses (.0, the bridge's .1 and .255 aside).
maxPods: 250
EOF
}

# containerd 1.6 (Debian's): config version 2.
write_containerd16_config() {
	local restrict_oom=$1
	cat >"$STATE_DIR/config/containerd.toml" <<EOF
# Written by hack/cluster/cluster.sh; rewritten on every 'up'.
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$PAUSE_IMAGE"
    # true when root lacks CAP_SYS_RESOURCE: no container gets an
    # oom_score_adj below containerd's own.
    restrict_oom_score_adj = $restrict_oom
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$CNI_BIN_DIR"
      conf_dir = "$CNI_CONF_DIR"
  [plugins."io.containerd.internal.v1.opt"]
    path = "$CONTAINERD_ROOT/opt"
EOF
}

write_configs() {
	local ip=$1 restrict_oom=false
	have_cap_sys_resource || restrict_oom=true
	mkdir -p "$STATE_DIR/kubeconfigs" "$STATE_DIR/config" "$CNI_CONF_DIR" "$CNI_IPAM_DIR" "$CONTAINERD_ROOT" "$ETCD_DIR"
	chmod 700 "$ETCD_DIR"
	mkkubeconfig "$ADMIN_KUBECONFIG" admin
	mkkubeconfig "$STATE_DIR/kubeconfigs/controller-manager.kubeconfig" controller-manager
	mkkubeconfig "$STATE_DIR/kubeconfigs/scheduler.kubeconfig" scheduler
	mkkubeconfig "$STATE_DIR/kubeconfigs/kubelet.kubeconfig" kubelet
	mkkubeconfig "$STATE_DIR/kubeconfigs/kube-proxy.kubeconfig" kube-proxy

	if [[ $CONTAINERD_FLAVOUR == 2 ]]; then
		sed -e "s|@CONTAINERD_ROOT@|$CONTAINERD_ROOT|g" -e "s|@CONTAINERD_STATE@|$CONTAINERD_STATE|g" \
			-e "s|@CONTAINERD_SOCK@|$CONTAINERD_SOCK|g" -e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|g" \
			-e "s|@RESTRICT_OOM@|$restrict_oom|g" -e "s|@CNI_BIN_DIR@|$CNI_BIN_DIR|g" \
			-e "s|@CNI_CONF_DIR@|$CNI_CONF_DIR|g" "$here/containerd2/config.toml.in" \
			>"$STATE_DIR/config/containerd.toml"
	else
		write_containerd16_config "$restrict_oom"
	fi
	cat >"$STATE_DIR/config/crictl.yaml" <<EOF
runtime-endpoint: unix://$CONTAINERD_SOCK
image-endpoint: unix://$CONTAINERD_SOCK
timeout: 30
EOF

	cat >"$CNI_CONF_DIR/10-sc-bridge.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "sc-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CNI_IPAM_DIR",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
	cat >"$CNI_CONF_DIR/99-loopback.conf" <<EOF
{ "cniVersion": "0.4.0", "name": "lo", "type": "loopback" }
EOF

	# Pods get this resolv.conf (no cluster DNS runs): the host's nameservers
	# without loopback ones, which a pod cannot reach.
	{
		echo "# Written by hack/cluster/cluster.sh"
		grep -E '^\s*nameserver\s' /etc/resolv.conf 2>/dev/null | grep -vE '\s(127\.|::1)' || true
		grep -E '^\s*(search|options)\s' /etc/resolv.conf 2>/dev/null || true
	} >"$STATE_DIR/config/resolv.conf"

	# Only a changed configuration is written, so 'up' can tell the kubelet
	# must be restarted to read it.
	KUBELET_CONFIG_CHANGED=0
	if [[ $(kubelet_config) != "$(cat "$STATE_DIR/config/kubelet.yaml" 2>/dev/null)" ]]; then
		kubelet_config >"$STATE_DIR/config/kubelet.yaml.tmp"
		mv "$STATE_DIR/config/kubelet.yaml.tmp" "$STATE_DIR/config/kubelet.yaml"
		KUBELET_CONFIG_CHANGED=1
	fi

	cat >"$STATE_DIR/config/kube-proxy.yaml" <<EOF
# Written by hack/cluster/cluster.sh; rewritten on every 'up'.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $STATE_DIR/kubeconfigs/kube-proxy.kubeconfig
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: 0.0.0.0
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Leave the host's conntrack sysctls alone.
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
nodePortAddresses: [primary]
iptables:
  localhostNodePorts: false
EOF
}
