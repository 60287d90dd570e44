/** One problem in a config or a rule, with the path of the field it is about. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Thrown for invalid configuration; `issues` lists every problem found, each naming its field. */
export class ConfigError extends Error {
  readonly code = 'EINVALIDCONFIG';
  constructor(
    readonly issues: ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'), options);
    this.name = 'ConfigError';
  }
}
