# A minimal SSDP device (UPnP Device Architecture 2.0 §1.3): answers an M-SEARCH for its type (or
# ssdp:all) by unicast to the searcher, as a UPnP device does. Python, because Debian ships no
# headless SSDP publisher (gupnp-tools' are GTK applications); the searcher is gssdp-discover.
#   ssdp-device.py FAMILY IFNAME ADDRESS TYPE
import socket, struct, sys

family, ifname, address, type_ = sys.argv[1:5]
ifindex = socket.if_nametoindex(ifname)
af = socket.AF_INET6 if family == "ipv6" else socket.AF_INET
s = socket.socket(af, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if family == "ipv6":
    s.bind(("::", 1900))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(af, "ff02::c") + struct.pack("@I", ifindex))
    location = f"http://[{address}]:8080/device.xml"
else:
    s.bind(("0.0.0.0", 1900))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4si", socket.inet_aton("239.255.255.250"), b"\0" * 4, ifindex))
    location = f"http://{address}:8080/device.xml"
print("listening", flush=True)
usn = "uuid:6d63722d-6c61-6230-0000-000000000001"
while True:
    data, peer = s.recvfrom(65535)
    text = data.decode("latin-1")
    if not text.startswith("M-SEARCH"):
        continue
    headers = {l.split(":", 1)[0].strip().upper(): l.split(":", 1)[1].strip() for l in text.split("\r\n")[1:] if ":" in l}
    st = headers.get("ST", "")
    if st not in ("ssdp:all", type_):
        continue
    reply = (f"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: {location}\r\nSERVER: Linux/6 UPnP/1.0 mcr-lab/1\r\n"
             f"ST: {type_}\r\nUSN: {usn}::{type_}\r\n\r\n")
    s.sendto(reply.encode(), peer)
    print(f"answered {peer[0]} {peer[1]}", flush=True)
