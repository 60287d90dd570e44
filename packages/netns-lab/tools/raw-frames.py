# Writes raw Ethernet frames on an interface with AF_PACKET: argv[1] is the interface, each further
# argument one frame in hex. Used to inject frames a normal socket cannot send (malformed, fragments).
import socket
import sys

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for frame in sys.argv[2:]:
    s.send(bytes.fromhex(frame))
s.close()
