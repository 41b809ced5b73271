// The official openai npm package (pinned in package-lock.json) against
// tenantd's OpenAI-compatible face, as any application would use it: a
// tenant's API key and base URL, plain and streamed completions (with
// stream_options.include_usage), the models list, and an error raised as
// the SDK's own class. The tenant's route is a fake upstream, a real HTTP
// server on loopback started here.
//
//   node sdk_test.js TENANTD_URL ADMIN_TOKEN
"use strict";

const http = require("node:http");
const assert = require("node:assert/strict");
const OpenAI = require("openai");

const [base, adminToken] = process.argv.slice(2);

// The upstream: the reply says what it got ("[N] <last message>"), whole
// or in three pieces with usage at the end.
function fakeUpstream() {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const ask = JSON.parse(body);
      seen.push(ask);
      const last = ask.messages[ask.messages.length - 1].content;
      const reply = `[${ask.messages.length}] ${last}`;
      if (!ask.stream) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({
          id: "up", object: "chat.completion", model: "served",
          choices: [{ index: 0, message: { role: "assistant", content: reply },
                      finish_reason: "stop" }],
          usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
        }));
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (delta, usage) => `data: ${JSON.stringify({
        id: "up", object: "chat.completion.chunk", model: "served",
        choices: delta ? [{ index: 0, delta }] : [], usage: usage ?? null })}\n\n`;
      const third = Math.ceil(reply.length / 3);
      const parts = [reply.slice(0, third), reply.slice(third, 2 * third),
                     reply.slice(2 * third)];
      res.write(chunk({ role: "assistant", content: "" }));
      for (const p of parts) res.write(chunk({ content: p }));
      res.write(chunk(null, { prompt_tokens: 9, completion_tokens: 3,
                              total_tokens: 12 }));
      res.end("data: [DONE]\n\n");
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, seen })));
}

async function admin(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${adminToken}`,
               "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function main() {
  const upstream = await fakeUpstream();
  const port = upstream.server.address().port;
  await admin("POST", "/tenants", {
    id: "sdk-tenant", name: "SDK", welcome: "Hi.",
    ai: { provider: "openai", base_url: `http://127.0.0.1:${port}/v1`,
          model: "gpt-4o-mini", api_key: "sk-upstream",
          system_prompt: "You are {name}." },
  });
  const { key } = await admin("POST", "/tenants/sdk-tenant/keys", { name: "sdk" });
  const client = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });

  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ["gpt-4o-mini"]);
  console.log("ok: models.list");

  const plain = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "hello" }],
  });
  assert.equal(plain.object, "chat.completion");
  assert.equal(plain.choices[0].message.content, "[2] hello");
  assert.equal(plain.choices[0].finish_reason, "stop");
  assert.deepEqual(plain.usage, { prompt_tokens: 9, completion_tokens: 4,
                                  total_tokens: 13 });
  // The tenant's system prompt went first.
  assert.deepEqual(upstream.seen[0].messages[0],
                   { role: "system", content: "You are SDK." });
  console.log("ok: chat.completions.create");

  const stream = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "stream it" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let usage = null;
  let finish = null;
  for await (const chunk of stream) {
    if (chunk.choices.length > 0) {
      text += chunk.choices[0].delta.content ?? "";
      finish = chunk.choices[0].finish_reason ?? finish;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, "[2] stream it");
  assert.equal(finish, "stop");
  assert.deepEqual(usage, { prompt_tokens: 9, completion_tokens: 3,
                            total_tokens: 12 });
  assert.equal(upstream.seen[1].stream, true);
  console.log("ok: a streamed completion with its usage");

  await assert.rejects(
    client.chat.completions.create({
      model: "gpt-5", messages: [{ role: "user", content: "hi" }] }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === "model_not_found");
  const stranger = new OpenAI({ apiKey: "sk-not-a-key", baseURL: `${base}/v1`,
                                maxRetries: 0 });
  await assert.rejects(stranger.models.list(),
                       (e) => e instanceof OpenAI.AuthenticationError);
  console.log("ok: errors are the SDK's own classes");
  upstream.server.close();
}

main().catch((e) => {
  console.error("FAIL:", e);
  process.exit(1);
});
