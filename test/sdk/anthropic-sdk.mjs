// The official Anthropic SDK against a running llmgw demo, as Claude Code or
// any Anthropic client would use it: only the base URL changes.  The demo
// answers from an OpenAI-shaped provider (translated) and from an
// Anthropic-shaped one (passed through).
// Usage: node anthropic-sdk.mjs http://127.0.0.1:8080

import Anthropic from "@anthropic-ai/sdk";
import assert from "node:assert/strict";

const baseURL = process.argv[2] || "http://127.0.0.1:8080";
const client = new Anthropic({ baseURL, apiKey: "sk-llmgw-demo", maxRetries: 0 });
let passed = 0, failed = 0;

async function check(name, fn) {
    try {
        await fn();
        passed++;
        console.log(`ok - ${name}`);
    } catch (e) {
        failed++;
        console.log(`not ok - ${name}: ${e.message}`);
    }
}

await check("message answered by an OpenAI-shaped provider", async () => {
    const m = await client.messages.create({
        model: "gpt-4o-mini",
        max_tokens: 64,
        system: "Be brief.",
        messages: [{ role: "user", content: "Say hello" }],
    });
    assert.equal(m.type, "message");
    assert.equal(m.role, "assistant");
    assert.equal(m.content[0].type, "text");
    assert.equal(m.content[0].text, "Hello from the llmgw mock provider!");
    assert.equal(m.stop_reason, "end_turn");
    assert.equal(m.usage.input_tokens, 12);
    assert.equal(m.usage.output_tokens, 9);
});

await check("streamed message answered by an OpenAI-shaped provider", async () => {
    const stream = client.messages.stream({
        model: "gpt-4o",
        max_tokens: 64,
        messages: [{ role: "user", content: "Say hello" }],
    });
    let text = "";
    stream.on("text", (t) => { text += t; });
    const m = await stream.finalMessage();
    assert.equal(text, "Hello from the llmgw mock provider!");
    assert.equal(m.content[0].text, "Hello from the llmgw mock provider!");
    assert.equal(m.stop_reason, "end_turn");
    assert.equal(m.usage.output_tokens, 9);
});

await check("message passed through to an Anthropic-shaped provider", async () => {
    const m = await client.messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 64,
        messages: [{ role: "user", content: "Say hello" }],
    });
    assert.equal(m.id, "msg_llmgwmock0001");
    assert.equal(m.content[0].text, "Hello from the llmgw Anthropic mock!");
    assert.equal(m.usage.input_tokens, 14);
});

await check("streamed message passed through to an Anthropic-shaped provider", async () => {
    const stream = client.messages.stream({
        model: "smart",
        max_tokens: 64,
        messages: [{ role: "user", content: "Say hello" }],
    });
    const m = await stream.finalMessage();
    assert.equal(m.content[0].text, "Hello from the llmgw Anthropic mock!");
    assert.equal(m.usage.output_tokens, 10);
});

await check("count_tokens answers an estimate", async () => {
    const r = await client.messages.countTokens({
        model: "claude-haiku-4-5",
        messages: [{ role: "user", content: "Say hello" }],
    });
    assert.ok(r.input_tokens > 0 && r.input_tokens < 100);
});

await check("a wrong key is a 401 the SDK understands", async () => {
    const bad = new Anthropic({ baseURL, apiKey: "sk-wrong", maxRetries: 0 });
    await assert.rejects(
        bad.messages.create({
            model: "gpt-4o-mini",
            max_tokens: 8,
            messages: [{ role: "user", content: "x" }],
        }),
        (e) => e instanceof Anthropic.AuthenticationError && e.status === 401
               && e.error?.type === "error"
               && e.error?.error?.type === "authentication_error",
    );
});

await check("a bad request is a 400 in Anthropic's shape", async () => {
    await assert.rejects(
        client.messages.create({
            model: "gpt-4o-mini",
            max_tokens: 8,
            messages: [],
        }),
        (e) => e instanceof Anthropic.BadRequestError
               && e.error?.error?.type === "invalid_request_error",
    );
});

console.log(`anthropic-sdk: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
