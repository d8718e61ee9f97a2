// The official A2A JavaScript SDK (@a2a-js/sdk) as a client of Parley's
// A2A server: resolve the card, send a message (a new task), stream a
// second message on it, and read the task back. It prints one JSON object
// with what it saw, for internal/a2a's interop test to check; any failure
// exits non-zero with the reason.
//
//   PARLEY_URL=http://127.0.0.1:8080 PARLEY_TOKEN=prly_… node a2a-js-client.mjs
//
// NODE_PATH (or a node_modules beside it) must hold @a2a-js/sdk.
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { Role } from '@a2a-js/sdk';

const base = process.env.PARLEY_URL;
const token = process.env.PARLEY_TOKEN;
if (!base || !token) {
  console.error('set PARLEY_URL and PARLEY_TOKEN');
  process.exit(2);
}
const authFetch = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('Authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
  transports: [new JsonRpcTransportFactory({ fetchImpl: authFetch })],
  cardResolver: new DefaultAgentCardResolver({ fetchImpl: authFetch }),
}));
const client = await factory.createFromUrl(base);
const text = (value) => ({ content: { $case: 'text', value } });
const message = (messageId, value, taskId = '') => ({
  messageId, role: Role.ROLE_USER, parts: [text(value)], taskId, contextId: '', metadata: undefined, extensions: [], referenceTaskIds: [],
});
const out = {};

const sent = await client.sendMessage({ message: message('js-1', 'Hello from the JavaScript SDK: where is order A1001?') });
const task = sent.payload?.$case === 'task' ? sent.payload.value : sent;
out.send = { id: task.id, state: task.status?.state, history: task.history?.length, waiting: task.metadata?.parley_waiting_for };

const events = [];
for await (const ev of client.sendMessageStream({ message: message('js-2', 'And can you send a return label?', task.id) })) {
  const p = ev.payload ?? ev;
  events.push(p.$case ?? Object.keys(p)[0]);
  if (events.length >= 1) break; // the team answers later; the first event is the task
}
out.stream = events;

const got = await client.getTask({ id: task.id, historyLength: undefined, tenant: '' });
out.get = { id: got.id, state: got.status?.state, history: got.history?.length,
  texts: (got.history || []).map((m) => m.parts?.[0]?.content?.value) };
console.log(JSON.stringify(out));
