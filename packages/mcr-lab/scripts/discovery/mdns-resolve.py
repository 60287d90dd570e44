# Browses DNS-SD service types with python-zeroconf and resolves what it finds; prints one JSON
# object at the end: {type: {found, name, addresses, port, ms}} (ms: from the start to the resolved answer).
#   mdns-resolve.py FAMILY SECONDS TYPE [TYPE...]
import json, sys, threading, time
from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

family, seconds, types = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
version = IPVersion.V6Only if family == "ipv6" else IPVersion.V4Only
start = time.monotonic()
zc = Zeroconf(ip_version=version)
found = {t: {"found": False} for t in types}
lock = threading.Lock()

def on_change(zeroconf, service_type, name, state_change):
    if state_change is not ServiceStateChange.Added:
        return
    def resolve():
        info = zeroconf.get_service_info(service_type, name, timeout=3000)
        if info is None:
            return
        key = service_type[: -len(".local.")]
        with lock:
            if not found[key]["found"]:
                found[key] = {"found": True, "name": name, "addresses": info.parsed_addresses(), "port": info.port,
                              "ms": round((time.monotonic() - start) * 1000)}
    threading.Thread(target=resolve, daemon=True).start()

browsers = [ServiceBrowser(zc, f"{t}.local.", handlers=[on_change]) for t in types]
deadline = start + seconds
while time.monotonic() < deadline:
    with lock:
        if all(v["found"] for v in found.values()):
            break
    time.sleep(0.05)
with lock:
    print(json.dumps(found), flush=True)
zc.close()
