/** A line longer than the limit: the rest of the connection cannot be framed, so it is closed. */
export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`request longer than ${limit} bytes`);
    this.name = 'LineTooLongError';
  }
}

const MAX_PIECES = 64;

/**
 * Splits a byte stream into lines, lazily: chunks are kept as they came and scanned for a newline only
 * when the next line is asked for, each byte once (no rescanning of what is buffered, no copy but
 * the line itself). A caller that stops asking (a client with enough requests in flight) leaves the
 * rest unscanned, and pauses the socket so that no more arrives.
 */
export class LineReader {
  /** Chunks not scanned yet; the first from `offset`. */
  private readonly unscanned: Buffer[] = [];
  private offset = 0;
  /** The start of the current line, scanned already (no newline in it). */
  private readonly partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(private readonly maxLineBytes: number) {}

  push(chunk: Buffer): void {
    if (chunk.length > 0) this.unscanned.push(chunk);
  }

  /** Bytes of the current, incomplete line seen so far (0: between lines). */
  get pendingLineBytes(): number {
    return this.partialBytes;
  }

  /** True when chunks wait to be scanned: the caller has asked for fewer lines than arrived. */
  get hasUnscanned(): boolean {
    return this.unscanned.length > 0;
  }

  /** The next complete line (without its newline), or undefined until more arrives. Throws LineTooLongError. */
  next(): Buffer | undefined {
    while (this.unscanned.length > 0) {
      const chunk = this.unscanned[0]!;
      const newline = chunk.indexOf(0x0a, this.offset);
      const end = newline < 0 ? chunk.length : newline;
      if (this.partialBytes + (end - this.offset) > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      const piece = chunk.subarray(this.offset, end);
      if (newline < 0) {
        this.unscanned.shift();
        this.offset = 0;
        this.partial.push(piece);
        this.partialBytes += piece.length;
        // A client dribbling one byte per packet must not cost one Buffer object per byte.
        if (this.partial.length > MAX_PIECES) this.partial.splice(0, this.partial.length, Buffer.concat(this.partial));
        continue;
      }
      this.offset = newline + 1;
      if (this.offset === chunk.length) {
        this.unscanned.shift();
        this.offset = 0;
      }
      const line = this.partial.length === 0 ? piece : Buffer.concat([...this.partial, piece]);
      this.partial.length = 0;
      this.partialBytes = 0;
      return line;
    }
    return undefined;
  }
}
