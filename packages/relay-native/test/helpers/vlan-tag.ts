// 802.1Q tags for crafted frames of either family: veth moves the outermost tag into ring metadata and
// leaves any further one in the bytes, so nesting them reaches both places the data plane reads.

/** `frame` with an 802.1Q tag (VLAN `vlan`, priority `priority`) outside whatever tags it has. */
export function withTag(frame: Buffer, vlan: number, priority = 5): Buffer {
  const tci = (priority << 13) | vlan;
  return Buffer.concat([frame.subarray(0, 12), Buffer.from([0x81, 0x00, tci >> 8, tci & 0xff]), frame.subarray(12)]);
}
