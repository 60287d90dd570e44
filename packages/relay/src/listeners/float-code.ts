// The floating-point codes of IGMPv3 and MLDv2 queries: a value below 2^(m+3) is sent as is; larger
// ones as 1|exp(3 bits)|mant(m bits) meaning (mant | 1 << m) << (exp + 3).
//   RFC 3376 §4.1.1 Max Resp Code and §4.1.7 QQIC: 8 bits, m = 4 (values up to 31744).
//   RFC 3810 §5.1.3 Maximum Response Code: 16 bits, m = 12 (up to 8387584); §5.1.9 QQIC: as IGMPv3.

/** Mantissa bits: 4 for the 8-bit codes (IGMPv3 MRC, both QQICs), 12 for MLDv2's 16-bit MRC. */
export type MantissaBits = 4 | 12;

const exact = (m: MantissaBits) => 2 ** (m + 3);

/** The largest value a code can carry. */
export function largestFloatValue(m: MantissaBits): number {
  return (2 ** (m + 1) - 1) * 2 ** 10;
}

export function decodeFloatCode(code: number, m: MantissaBits): number {
  if (code < exact(m)) return code;
  const exp = (code >> m) & 7;
  const mant = code & (2 ** m - 1);
  return (mant + 2 ** m) * 2 ** (exp + 3);
}

/**
 * The code for `value`, rounded down to what the code can say (a shorter response time or query
 * interval than asked errs on the side of fresher state), and the largest code beyond its range.
 */
export function encodeFloatCode(value: number, m: MantissaBits): number {
  const v = Math.max(0, Math.floor(value));
  if (v < exact(m)) return v;
  if (v >= largestFloatValue(m)) return 2 ** (m + 4) - 1;
  let exp = 0;
  while (Math.floor(v / 2 ** (exp + 3)) >= 2 ** (m + 1)) exp++;
  const mant = Math.floor(v / 2 ** (exp + 3)) - 2 ** m;
  return exact(m) | (exp << m) | mant;
}
