# The loop probe: counts copies of one mDNS query on a segment.
#   mdns-probe.py listen FAMILY IFNAME MARKER SECONDS  -> prints the number of datagrams carrying MARKER
#   mdns-probe.py send FAMILY IFNAME MARKER            -> sends one query for MARKER.local (from port 5353, TTL 255)
import socket, struct, sys, time

mode, family, ifname, marker = sys.argv[1:5]
ifindex = socket.if_nametoindex(ifname)
af = socket.AF_INET6 if family == "ipv6" else socket.AF_INET
group = "ff02::fb" if family == "ipv6" else "224.0.0.251"
s = socket.socket(af, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
if family == "ipv6":
    s.bind(("::", 5353))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(af, group) + struct.pack("@I", ifindex))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
else:
    s.bind(("0.0.0.0", 5353))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4si", socket.inet_aton(group), b"\0" * 4, ifindex))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("4s4si", b"\0" * 4, b"\0" * 4, ifindex))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
label = marker.encode()
if mode == "send":
    # A DNS query (id 0, one question: MARKER.local A IN), written out by hand: 12-byte header, name, type, class.
    query = struct.pack("!6H", 0, 0, 1, 0, 0, 0) + bytes([len(label)]) + label + b"\x05local\x00" + struct.pack("!2H", 1, 1)
    s.sendto(query, (group, 5353, 0, ifindex) if family == "ipv6" else (group, 5353))
    print("sent", flush=True)
else:
    print("ready", flush=True)
    deadline = time.monotonic() + float(sys.argv[5])
    copies = 0
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            break
        if label in data:
            copies += 1
    print(copies, flush=True)
