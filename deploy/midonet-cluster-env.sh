# /etc/midonet-cluster/midonet-cluster-env.sh: operator settings of a MidoNet cluster node.
#
# Same path and shell syntax as the original's (auth-https-deploy.md §3.3), so existing files and
# configuration management keep working. It is sourced by deploy/bin/midonet-cluster-start:
#   - MAX_HEAP_SIZE becomes Node's --max-old-space-size (HEAP_NEWSIZE has no Node equivalent);
#   - -Dmidonet.host_id_filepath=FILE in JVM_OPTS becomes --host-id-file FILE;
#   - -Dmidonet.keystore_path / -Dmidonet.keystore_password are read by the node (HTTPS);
#   - other JVM flags (GC, JMX, heap dumps, -Xss, ...) are accepted and ignored: there is no JVM.
# It must stay POSIX sh: the node evaluates it with /bin/sh too.
# Node-only settings (NODE_OPTIONS, MIDO_* variables) may be added here as well.

# Memory. The original's default is 2048M heap with 1024M young generation; both or neither.
# A Node cluster node needs far less; unset means Node's default.
#MAX_HEAP_SIZE="2048M"
#HEAP_NEWSIZE="1024M"

# --- kept for compatibility: read, then ignored ----------------------------------------------
JMX_PORT="7201"
JVM_OPTS="$JVM_OPTS -ea"
JVM_OPTS="$JVM_OPTS -XX:+UseG1GC"
JVM_OPTS="$JVM_OPTS -XX:MaxGCPauseMillis=1000"
JVM_OPTS="$JVM_OPTS -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=/var/log/midonet-cluster/"
JVM_OPTS="$JVM_OPTS -Dcom.sun.management.jmxremote.port=$JMX_PORT"
JVM_OPTS="$JVM_OPTS -Dcom.sun.management.jmxremote.ssl=false"
JVM_OPTS="$JVM_OPTS -Dcom.sun.management.jmxremote.authenticate=false"
# HTTPS key store: read by the node itself (lib/tls/env-file.ts), as the original's JVM did.
#JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_path=/etc/midonet-cluster/ssl/midonet.jks"
#JVM_OPTS="$JVM_OPTS -Dmidonet.keystore_password=changeit"
# Node identity file (default /etc/midonet_host_id.properties); applied by the launcher.
#JVM_OPTS="$JVM_OPTS -Dmidonet.host_id_filepath=/etc/midonet_host_id.properties"

# --- Node.js -------------------------------------------------------------------------------
# Extra Node.js options, e.g. "--enable-source-maps".
#NODE_OPTIONS=""
# ZooKeeper, overriding /etc/midonet/midonet.conf (as the original's MIDO_* environment does).
#MIDO_ZOOKEEPER_HOSTS="10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181"
#MIDO_ZOOKEEPER_ROOT_KEY="/midonet"
# Log lines as JSON (default, for log shippers) or text.
#MIDO_LOG_FORMAT="json"
