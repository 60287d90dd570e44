// Does PACKET_FANOUT_FLAG_IGNORE_OUTGOING take effect on this kernel? Linux 6.7 added it; older
// kernels accept the unknown flag, store it (getsockopt reports it back) and deliver the host's own
// transmissions to the group all the same. Only an outgoing frame tells them apart.
//
// The probe: a throwaway fanout group of its own (a kernel-picked id, the same flag the ring asked
// for) on the ring's interface, and beside it a plain socket as the control. One frame is sent out of
// the interface: IEEE 802 local experimental ethertype 0x88B5, to the interface's own MAC (a switch
// never sends that back out of the port it came from), carrying a nonce so concurrent probes keep
// apart. Once the control has it, the group either has it too (the flag has no effect) or not.
// Pure C++, sockets only; opened and closed within the call.
#pragma once

namespace mcr {

enum class ProbeResult {
  Honoured,      // the group never saw the host's own frame
  Ignored,       // it did: the flag has no effect here
  Inconclusive,  // the frame could not be sent or the control never saw it (interface down, not Ethernet)
};

// withFlag false: the probe group is joined without the flag (TEST-ONLY: as a kernel that ignores it).
ProbeResult ProbeFanoutIgnoresOutgoing(int ifindex, bool withFlag) noexcept;

}  // namespace mcr
