# Publishes DNS-SD services with python-zeroconf (Debian's python3-zeroconf), until killed:
#   mdns-publish.py FAMILY ADDRESS HOST NAME:TYPE:PORT [NAME:TYPE:PORT...]
# FAMILY ipv4 | ipv6; ADDRESS: the host's address on its segment (the A or AAAA record).
import ipaddress, signal, socket, sys, time
from zeroconf import IPVersion, ServiceInfo, Zeroconf

family, address, host = sys.argv[1], sys.argv[2], sys.argv[3]
version = IPVersion.V6Only if family == "ipv6" else IPVersion.V4Only
zc = Zeroconf(ip_version=version)
infos = []
for spec in sys.argv[4:]:
    name, type_, port = spec.split(":")
    info = ServiceInfo(f"{type_}.local.", f"{name}.{type_}.local.", port=int(port), addresses=[ipaddress.ip_address(address).packed],
                       server=f"{host}.local.", properties={"lab": "mcr"})
    zc.register_service(info)
    infos.append(info)
print("published", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    while True:
        time.sleep(1)
finally:
    for info in infos:
        zc.unregister_service(info)
    zc.close()
