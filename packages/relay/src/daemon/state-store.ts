import { renameSync } from 'node:fs';
import type { ConfigIssue } from '../config/config-error.js';
import type { RuleCheckOptions } from '../config/rule-schema.js';
import type { Rule } from '../config/types.js';
import { ProtocolError } from '../control/protocol.js';
import type { Logger } from '../log.js';
import { prepareStateFile, readStateFile, StateFileUnreadable, stateFileText, type PreparedStateFile } from './state-file.js';

/** `mcr stats --json`'s `stateFile`: whether the last read (at start) or save of the state file worked. */
export interface StateFileStatus {
  ok: boolean;
  path: string;
  /** Why not, when not ok: the file could not be read (and where it was moved) or saved. */
  error: string | null;
}

/**
 * The relay's side of `--state FILE`: reads it at start, writes it as part of every change of the
 * runtime rules, and remembers what went wrong last for `mcr stats`. A file that cannot be read
 * does not stop the relay: it is moved aside (`FILE.corrupt-<time>`) for a human to look at, and the
 * relay starts without it.
 */
export class StateStore {
  /** The text the file holds as far as this relay knows; undefined when unknown (a write is then due). */
  private saved: string | undefined;
  private problem: string | null = null;

  constructor(
    readonly path: string,
    private readonly log: Logger,
    /** TEST-ONLY (testOnly.forgetState): never write; every change then "saves" nothing. */
    private readonly testOnly: { forget?: boolean } = {},
  ) {}

  get status(): StateFileStatus {
    return { ok: this.problem === null, path: this.path, error: this.problem };
  }

  /** The saved rules (see readStateFile); an unreadable file is moved aside, logged and counts as empty. */
  load(options: RuleCheckOptions): { rules: Rule[]; skipped: ConfigIssue[] } {
    try {
      const found = readStateFile(this.path, options);
      this.saved = found.rules.length === 0 && found.skipped.length === 0 ? undefined : stateFileText(found.rules);
      return found;
    } catch (err) {
      if (!(err instanceof StateFileUnreadable)) throw err;
      const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        renameSync(this.path, aside);
        this.problem = `${err.message}; moved aside to ${aside}`;
      } catch (moveErr) {
        this.problem = `${err.message}; cannot move it aside: ${(moveErr as Error).message}`;
      }
      this.log.error(`state file ${this.path}: ${this.problem}; starting without the saved runtime rules`, { stateFile: this.path });
      return { rules: [], skipped: [] };
    }
  }

  /**
   * The file holding `rules`, written and synced beside the old one, to be committed once the change
   * is in; null when the file holds them already. Throws ESTATE (the temporary file removed).
   */
  prepare(rules: readonly Rule[]): PreparedStateFile | null {
    const text = stateFileText(rules);
    if (text === this.saved || this.testOnly.forget) return null;
    try {
      return prepareStateFile(this.path, rules);
    } catch (err) {
      throw this.failed(err);
    }
  }

  /** Puts a prepared file in place. Throws ESTATE; the file's content is then unknown (the next change writes it again). */
  commit(write: PreparedStateFile): void {
    try {
      write.commit();
    } catch (err) {
      this.saved = undefined;
      throw this.failed(err);
    }
    this.saved = write.text;
    this.problem = null;
  }

  private failed(err: unknown): ProtocolError {
    const reason = err instanceof Error ? err.message : String(err);
    this.problem = `cannot save the runtime rules: ${reason}`;
    this.log.error(`state file ${this.path}: ${this.problem}; the change is refused`, { stateFile: this.path });
    return new ProtocolError('ESTATE', `state file ${this.path}: cannot save the runtime rules (${reason}); nothing changed`);
  }
}
