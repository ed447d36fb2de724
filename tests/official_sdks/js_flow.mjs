// The ACS Chat quickstart flow with the OFFICIAL JavaScript SDKs, unchanged,
// against an ACS endpoint (normally the acs-chat-emulator in --tls mode).
//
//   ACS_CONNECTION_STRING="endpoint=https://127.0.0.1:PORT/;accesskey=..." \
//   NODE_EXTRA_CA_CERTS=/path/to/emulator-ca.pem \
//   node js_flow.mjs
//
// Packages (exact versions in package.json / package-lock.json):
// @azure/communication-chat, @azure/communication-identity,
// @azure/communication-common. Exits 0 when every step passed, 1 on the first
// failure (with the step, the HTTP request and the service's answer), 2 on a
// usage error.

import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";

import { ChatClient } from "@azure/communication-chat";
import { CommunicationIdentityClient } from "@azure/communication-identity";
import {
  AzureCommunicationTokenCredential,
  getIdentifierRawId,
  parseConnectionString,
} from "@azure/communication-common";

const require = createRequire(import.meta.url);
const PREFIX = "[js]";
const log = (message) => console.log(`${PREFIX} ${message}`);

class FlowError extends Error {}

function check(condition, message) {
  if (!condition) throw new FlowError(message);
}

// Same keys and values, in any order.
const sameRecord = (a, b) =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort()) &&
  a !== undefined;

const rawId = (identifier) => (identifier ? getIdentifierRawId(identifier) : undefined);

function versionOf(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return "?";
  }
}

function describeError(err) {
  if (err instanceof FlowError) return `assertion: ${err.message}`;
  const lines = [`${err?.name ?? "Error"}: ${err?.message ?? err}`];
  if (err?.statusCode !== undefined || err?.request) {
    const request = err.request;
    if (request) {
      lines.push(`  request:  ${request.method} ${request.url}`);
      if (typeof request.body === "string") lines.push(`  request body: ${request.body.slice(0, 2000)}`);
    }
    if (err.code) lines.push(`  code: ${err.code}`);
    if (err.statusCode !== undefined) lines.push(`  response: ${err.statusCode}`);
    const response = err.response;
    if (response) {
      lines.push(`  response headers: ${JSON.stringify(response.headers?.toJSON?.() ?? {})}`);
      lines.push(`  response body: ${(response.bodyAsText ?? "").slice(0, 2000)}`);
    }
  }
  return lines.join("\n");
}

async function collectPages(iterable, pageSize, label) {
  const pages = [];
  for await (const page of iterable.byPage()) {
    check(page.length <= pageSize, `${label}: a page has ${page.length} items with a page size of ${pageSize}`);
    pages.push(page);
  }
  return pages;
}

async function collect(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function main() {
  const connectionString = process.env.ACS_CONNECTION_STRING;
  if (!connectionString) {
    console.error(`${PREFIX} set ACS_CONNECTION_STRING`);
    return 2;
  }
  const { endpoint } = parseConnectionString(connectionString);
  log(
    `@azure/communication-chat ${versionOf("@azure/communication-chat")}, ` +
      `@azure/communication-identity ${versionOf("@azure/communication-identity")}, ` +
      `@azure/communication-common ${versionOf("@azure/communication-common")}, endpoint ${endpoint}`,
  );

  const state = {};
  const stepNames = [];
  async function step(name, fn) {
    stepNames.push(name);
    const started = performance.now();
    try {
      await fn();
    } catch (err) {
      log(`FAIL ${name}`);
      throw err;
    }
    log(`ok   ${name} (${Math.round(performance.now() - started)} ms)`);
  }

  // --- Identity ---------------------------------------------------------
  await step("identity: createUserAndToken / createUser / getToken", async () => {
    const identity = new CommunicationIdentityClient(connectionString);
    state.identity = identity;
    const { user: alice, token: aliceToken, expiresOn } = await identity.createUserAndToken(["chat"]);
    check(rawId(alice).startsWith("8:acs:"), `alice id ${rawId(alice)} is not 8:acs:...`);
    check(aliceToken.split(".").length === 3, "alice token is not a JWT");
    const hours = (expiresOn.getTime() - Date.now()) / 3_600_000;
    check(expiresOn instanceof Date && hours > 23 && hours <= 24.02, `expiresOn ${expiresOn} is not ~24 h from now`);
    const bob = await identity.createUser();
    const bobToken = await identity.getToken(bob, ["chat"]);
    check(bobToken.token.split(".").length === 3, "bob token is not a JWT");
    const carol = await identity.createUser();
    const dave = await identity.createUser();
    check(new Set([alice, bob, carol, dave].map(rawId)).size === 4, "createUser returned duplicate ids");
    Object.assign(state, { alice, aliceToken, bob, bobToken: bobToken.token, carol, dave });
  });

  await step("identity: revokeTokens / deleteUser", async () => {
    const { user } = await state.identity.createUserAndToken(["chat", "voip"], { tokenExpiresInMinutes: 60 });
    await state.identity.revokeTokens(user);
    await state.identity.deleteUser(user);
    state.gone = user; // a deleted user: addParticipants reports it per participant
  });

  // --- Chat client ------------------------------------------------------
  await step("ChatClient with AzureCommunicationTokenCredential", async () => {
    state.chat = new ChatClient(endpoint, new AzureCommunicationTokenCredential(state.aliceToken));
    state.bobChat = new ChatClient(endpoint, new AzureCommunicationTokenCredential(state.bobToken));
  });

  const topic = "JS SDK flow";
  await step("createChatThread (participants with displayName, idempotencyToken)", async () => {
    const idempotencyToken = randomUUID();
    const options = {
      participants: [
        { id: state.alice, displayName: "Alice", shareHistoryTime: new Date() },
        { id: state.bob, displayName: "Bob" },
      ],
      idempotencyToken,
    };
    const result = await state.chat.createChatThread({ topic }, options);
    check(!result.invalidParticipants?.length, `invalidParticipants: ${JSON.stringify(result.invalidParticipants)}`);
    const thread = result.chatThread;
    check(thread?.id, "no thread id");
    check(thread.topic === topic, `topic ${thread.topic} !== ${topic}`);
    check(rawId(thread.createdBy) === rawId(state.alice), `createdBy ${rawId(thread.createdBy)} is not alice`);
    check(thread.createdOn instanceof Date && !isNaN(thread.createdOn), "createdOn is not a Date");
    state.threadId = thread.id;
    const again = await state.chat.createChatThread({ topic }, options);
    check(again.chatThread?.id === thread.id, `same idempotencyToken gave another thread: ${again.chatThread?.id}`);
  });

  await step("getChatThreadClient", async () => {
    state.thread = state.chat.getChatThreadClient(state.threadId);
    state.bobThread = state.bobChat.getChatThreadClient(state.threadId);
    check(state.thread.threadId === state.threadId, "thread client has another thread id");
  });

  await step("sendMessage text (senderDisplayName, metadata) + html", async () => {
    const text = await state.thread.sendMessage(
      { content: "Hello from JS!" },
      { senderDisplayName: "Alice", type: "text", metadata: { origin: "js", step: "send" } },
    );
    check(text.id, "no message id");
    const html = await state.thread.sendMessage(
      { content: "<p>Hello <b>HTML</b></p>" },
      { senderDisplayName: "Alice", type: "html" },
    );
    check(html.id && html.id !== text.id, "bad id for the html message");
    const reply = await state.bobThread.sendMessage({ content: "Hi Alice, Bob here." }, { senderDisplayName: "Bob" });
    Object.assign(state, { textId: text.id, htmlId: html.id, replyId: reply.id });
  });

  await step("getMessage (content, type, sender, metadata read back)", async () => {
    const message = await state.thread.getMessage(state.textId);
    check(message.id === state.textId, `id ${message.id}`);
    check(message.type === "text", `type ${message.type}`);
    check(message.content?.message === "Hello from JS!", `content ${message.content?.message}`);
    check(message.senderDisplayName === "Alice", `senderDisplayName ${message.senderDisplayName}`);
    check(rawId(message.sender) === rawId(state.alice), `sender ${rawId(message.sender)} is not alice`);
    check(
      sameRecord(message.metadata, { origin: "js", step: "send" }),
      `metadata ${JSON.stringify(message.metadata)}`,
    );
    check(message.createdOn instanceof Date && message.sequenceId && message.version, "missing createdOn/sequenceId/version");
    const html = await state.thread.getMessage(state.htmlId);
    check(html.type === "html", `html type ${html.type}`);
    check(html.content?.message === "<p>Hello <b>HTML</b></p>", `html content ${html.content?.message}`);
  });

  await step("listMessages({ maxPageSize: 2 }).byPage()", async () => {
    for (let i = 0; i < 3; i++) {
      await state.thread.sendMessage({ content: `filler ${i}` }, { senderDisplayName: "Alice" });
    }
    const pages = await collectPages(state.thread.listMessages({ maxPageSize: 2 }), 2, "listMessages");
    const messages = pages.flat();
    check(pages.length >= 3, `expected >= 3 pages of 2, got ${pages.length}`);
    const ids = new Set(messages.map((m) => m.id));
    for (const key of ["textId", "htmlId", "replyId"]) {
      check(ids.has(state[key]), `message ${state[key]} (${key}) missing from listMessages`);
    }
    check(ids.size === messages.length, "listMessages returned a message twice");
    const times = messages.map((m) => m.createdOn.getTime());
    check(times.every((t, i) => i === 0 || times[i - 1] >= t), "listMessages is not newest first");
    // The plain async iterator sees the same messages.
    const all = await collect(state.thread.listMessages({ maxPageSize: 2 }));
    check(all.length === messages.length, `iterator: ${all.length} messages, byPage: ${messages.length}`);
    // The system messages of the thread's creation, through the SDK's models.
    const topicUpdates = messages.filter((m) => m.type === "topicUpdated");
    check(topicUpdates.at(-1)?.content?.topic === topic, "no topicUpdated message with the topic");
    check(rawId(topicUpdates.at(-1).content.initiator) === rawId(state.alice), "topicUpdated initiator is not alice");
    const added = messages.filter((m) => m.type === "participantAdded");
    const addedIds = added.flatMap((m) => (m.content?.participants ?? []).map((p) => rawId(p.id)));
    check(addedIds.includes(rawId(state.bob)), `bob is not in the participantAdded messages: ${addedIds}`);
    const types = [...new Set(messages.map((m) => m.type))].sort();
    log(`     listMessages: ${messages.length} messages in ${pages.length} pages, types ${JSON.stringify(types)}`);
  });

  await step("updateMessage", async () => {
    await state.thread.updateMessage(state.textId, {
      content: "Hello from JS (edited)",
      metadata: { origin: "js", step: "update" },
    });
    const message = await state.thread.getMessage(state.textId);
    check(message.content?.message === "Hello from JS (edited)", `edited content ${message.content?.message}`);
    check(message.editedOn instanceof Date, "editedOn not set after updateMessage");
    check(
      sameRecord(message.metadata, { origin: "js", step: "update" }),
      `metadata after update ${JSON.stringify(message.metadata)}`,
    );
  });

  await step("deleteMessage", async () => {
    await state.thread.deleteMessage(state.htmlId);
    try {
      const message = await state.thread.getMessage(state.htmlId);
      check(message.deletedOn instanceof Date, "deleted message has no deletedOn");
    } catch (err) {
      if (err instanceof FlowError || err?.statusCode !== 404) throw err;
    }
    for await (const message of state.thread.listMessages()) {
      if (message.id === state.htmlId) check(message.deletedOn instanceof Date, "deleted message listed without deletedOn");
    }
  });

  await step("addParticipants (per-participant errors shown)", async () => {
    const result = await state.thread.addParticipants({
      participants: [
        { id: state.carol, displayName: "Carol", shareHistoryTime: new Date() },
        { id: state.dave, displayName: "Dave" },
        { id: state.gone, displayName: "Deleted user" },
      ],
    });
    const errors = result.invalidParticipants ?? [];
    for (const error of errors) {
      log(`     addParticipants error: code=${error.code} message=${error.message} target=${error.target}`);
    }
    const failed = errors.map((e) => e.target);
    check(
      failed.every((t) => t === rawId(state.gone)),
      `addParticipants failed for valid users: ${failed.filter((t) => t !== rawId(state.gone))}`,
    );
    state.goneRejected = failed.length > 0;
    log(`     the deleted user was ${state.goneRejected ? "rejected" : "added"}`);
  });

  await step("listParticipants (paged by 3)", async () => {
    const participants = await collect(state.thread.listParticipants());
    const names = Object.fromEntries(participants.map((p) => [rawId(p.id), p.displayName]));
    const expected = {
      [rawId(state.alice)]: "Alice",
      [rawId(state.bob)]: "Bob",
      [rawId(state.carol)]: "Carol",
      [rawId(state.dave)]: "Dave",
    };
    if (!state.goneRejected) expected[rawId(state.gone)] = "Deleted user";
    check(sameRecord(names, expected), `participants ${JSON.stringify(names)} != ${JSON.stringify(expected)}`);
    const pages = await collectPages(state.thread.listParticipants({ maxPageSize: 3 }), 3, "listParticipants");
    const sizes = pages.map((p) => p.length);
    const want = [3, Object.keys(expected).length - 3];
    check(JSON.stringify(sizes) === JSON.stringify(want), `participant pages of 3: ${sizes}, expected ${want}`);
  });

  await step("removeParticipant", async () => {
    if (!state.goneRejected) await state.thread.removeParticipant(state.gone);
    await state.thread.removeParticipant(state.dave);
    let ids = (await collect(state.thread.listParticipants())).map((p) => rawId(p.id));
    check(!ids.includes(rawId(state.dave)) && ids.length === 3, `after removeParticipant: ${ids}`);
    await state.thread.removeParticipant({ communicationUserId: rawId(state.carol) });
    ids = (await collect(state.thread.listParticipants())).map((p) => rawId(p.id)).sort();
    check(
      JSON.stringify(ids) === JSON.stringify([rawId(state.alice), rawId(state.bob)].sort()),
      `after removing carol: ${ids}`,
    );
  });

  await step("sendTypingNotification (senderDisplayName)", async () => {
    const sent = await state.thread.sendTypingNotification({ senderDisplayName: "Alice" });
    check(sent === true, "sendTypingNotification did not send");
    check((await state.bobThread.sendTypingNotification()) === true, "bob's typing notification was not sent");
  });

  await step("sendReadReceipt / listReadReceipts", async () => {
    await state.thread.sendReadReceipt({ chatMessageId: state.replyId });
    await state.bobThread.sendReadReceipt({ chatMessageId: state.textId });
    const receipts = await collect(state.thread.listReadReceipts());
    const bySender = Object.fromEntries(receipts.map((r) => [rawId(r.sender), r]));
    const aliceReceipt = bySender[rawId(state.alice)];
    check(aliceReceipt, `no read receipt of alice in ${Object.keys(bySender)}`);
    check(aliceReceipt.chatMessageId === state.replyId, `alice read ${aliceReceipt.chatMessageId}`);
    check(aliceReceipt.readOn instanceof Date, "read receipt without readOn");
    check(bySender[rawId(state.bob)]?.chatMessageId === state.textId, "bob's read receipt missing or wrong");
    const pages = await collectPages(state.thread.listReadReceipts({ maxPageSize: 1 }), 1, "listReadReceipts");
    check(pages.flat().length === receipts.length, "read receipt paging lost or added receipts");
  });

  const newTopic = "JS SDK flow (renamed)";
  await step("updateTopic", async () => {
    await state.thread.updateTopic(newTopic);
  });

  await step("getProperties (topic changed)", async () => {
    const props = await state.thread.getProperties();
    check(props.id === state.threadId, `properties id ${props.id}`);
    check(props.topic === newTopic, `topic after updateTopic: ${props.topic}`);
    check(rawId(props.createdBy) === rawId(state.alice), "createdBy changed");
    check((await state.bobThread.getProperties()).topic === newTopic, "bob sees another topic");
  });

  await step("listChatThreads (paged by 1)", async () => {
    const second = await state.chat.createChatThread({ topic: "JS SDK flow, second thread" });
    state.secondThreadId = second.chatThread.id;
    const pages = await collectPages(state.chat.listChatThreads({ maxPageSize: 1 }), 1, "listChatThreads");
    const byId = Object.fromEntries(pages.flat().map((t) => [t.id, t]));
    check(byId[state.threadId], "the thread is missing from listChatThreads");
    check(byId[state.secondThreadId], "the second thread is missing from listChatThreads");
    check(byId[state.threadId].topic === newTopic, `listed topic ${byId[state.threadId].topic}`);
    const bobIds = (await collect(state.bobChat.listChatThreads())).map((t) => t.id);
    check(bobIds.includes(state.threadId), "bob does not see the thread");
    check(!bobIds.includes(state.secondThreadId), "bob sees alice's private thread");
  });

  await step("deleteChatThread", async () => {
    await state.chat.deleteChatThread(state.threadId);
    await state.chat.deleteChatThread(state.secondThreadId);
    for await (const item of state.chat.listChatThreads()) {
      if (item.id === state.threadId || item.id === state.secondThreadId) {
        check(item.deletedOn instanceof Date, `deleted thread ${item.id} listed without deletedOn`);
      }
    }
  });

  log(`PASS: all ${stepNames.length} steps`);
  return 0;
}

let code;
try {
  code = await main();
} catch (err) {
  console.error(`${PREFIX} FAIL: ${describeError(err)}`);
  if (!(err instanceof FlowError) && err?.stack) console.error(err.stack);
  code = 1;
}
process.exitCode = code;
