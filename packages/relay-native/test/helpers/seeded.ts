// A seeded generator for the tests' reproducible random inputs.

/** Returns next(n): an integer in 0..n-1 from xorshift32 (exact in 32-bit integer arithmetic). */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}
