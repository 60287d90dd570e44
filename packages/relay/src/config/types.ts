// The relay's configuration, as users write it (JSON5) and as the rest of the relay sees it once
// normalised: every default filled in, every field checked.

export type FanoutMode = 'hash' | 'cpu' | 'lb' | 'off';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface InputSpec {
  interface: string;
  group: string;
  port: number;
  source?: string;
}

export interface OutputSpec {
  interface: string;
  /** A multicast group, or a unicast address (multicast-to-unicast). */
  group: string;
  port: number;
  ttl: number;
}

export interface Rule {
  id: string;
  input: InputSpec;
  outputs: OutputSpec[];
}

export interface RelayConfig {
  workers: number;
  fanout: { mode: FanoutMode; id?: number };
  igmp: { join: boolean };
  control: { socket: string; mode: number; group?: string; idleTimeout: number; maxClients: number };
  statsInterval: number;
  logLevel: LogLevel;
  rules: Rule[];
}

export const DEFAULTS = {
  workers: 1,
  fanoutMode: 'hash' as FanoutMode,
  igmpJoin: true,
  controlSocket: '/run/mcr/control.sock',
  controlMode: 0o600,
  controlIdleTimeout: 10,
  controlMaxClients: 128,
  statsInterval: 10,
  logLevel: 'info' as LogLevel,
  ttl: 16,
  maxWorkers: 64,
} as const;

export const FANOUT_MODES: readonly FanoutMode[] = ['hash', 'cpu', 'lb', 'off'];
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
