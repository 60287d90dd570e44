import { ListenerSocket } from '@mcr/relay-native';
import type { OpenTransport } from './segment-listeners.js';

/** The segments' transport on a real interface: relay-native's AF_PACKET listener socket. */
export const openListenerSocket: OpenTransport = (options) => new ListenerSocket(options);
