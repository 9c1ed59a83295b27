// The official OpenAI SDK against a running llmgw demo, as a new user would
// use it: chat, a streamed chat, an embedding and the model list.
// Usage: node openai-sdk.mjs http://127.0.0.1:8080/v1

import OpenAI from "openai";
import assert from "node:assert/strict";

const baseURL = process.argv[2] || "http://127.0.0.1:8080/v1";
const client = new OpenAI({ baseURL, apiKey: "sk-llmgw-demo", maxRetries: 0 });
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

await check("chat completion", async () => {
    const r = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "Say hello" }],
    });
    assert.equal(r.choices[0].message.content, "Hello from the llmgw mock provider!");
    assert.equal(r.usage.prompt_tokens, 12);
    assert.equal(r.usage.completion_tokens, 9);
});

await check("streamed chat completion", async () => {
    const stream = await client.chat.completions.create({
        model: "fast",
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
    });
    let text = "", chunks = 0, usage = null;
    for await (const chunk of stream) {
        chunks++;
        if (chunk.usage) usage = chunk.usage;
        text += chunk.choices[0]?.delta?.content ?? "";
    }
    assert.equal(text, "Hello from the llmgw mock provider!");
    assert.equal(usage, null, "usage chunk not asked for");
    assert.equal(chunks, 5);
});

await check("streamed chat completion with usage", async () => {
    const stream = await client.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
        stream_options: { include_usage: true },
    });
    let usage = null;
    for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(usage?.total_tokens, 21);
});

await check("chat completion answered by an Anthropic-shaped provider", async () => {
    const r = await client.chat.completions.create({
        model: "claude-haiku-4-5",
        messages: [{ role: "system", content: "Be brief." },
                   { role: "user", content: "Say hello" }],
    });
    assert.equal(r.object, "chat.completion");
    assert.equal(r.choices[0].message.content, "Hello from the llmgw Anthropic mock!");
    assert.equal(r.choices[0].finish_reason, "stop");
    assert.equal(r.usage.prompt_tokens, 14);
    assert.equal(r.usage.completion_tokens, 10);
});

await check("streamed chat answered by an Anthropic-shaped provider", async () => {
    const stream = await client.chat.completions.create({
        model: "smart",
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
        stream_options: { include_usage: true },
    });
    let text = "", finish = null, usage = null;
    for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        text += chunk.choices[0]?.delta?.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, "Hello from the llmgw Anthropic mock!");
    assert.equal(finish, "stop");
    assert.equal(usage?.total_tokens, 24);
});

await check("streamed chat answered by a Bedrock-shaped provider (SigV4, event stream)", async () => {
    const stream = await client.chat.completions.create({
        model: "mock-bedrock/amazon.nova-micro-v1:0",
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
        stream_options: { include_usage: true },
    });
    let text = "", finish = null, usage = null, model = null;
    for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        model ??= chunk.model;
        text += chunk.choices[0]?.delta?.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, "Hello from the llmgw Bedrock mock!");
    assert.equal(model, "amazon.nova-micro-v1:0");
    assert.equal(finish, "stop");
    assert.equal(usage?.prompt_tokens, 11);
    assert.equal(usage?.total_tokens, 19);
});

await check("chat answered by a Bedrock-shaped provider", async () => {
    const r = await client.chat.completions.create({
        model: "mock-bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
        messages: [{ role: "user", content: "Say hello" }],
    });
    assert.equal(r.choices[0].message.content, "Hello from the llmgw Bedrock mock!");
    assert.equal(r.usage.completion_tokens, 8);
});

await check("embedding", async () => {
    const r = await client.embeddings.create({
        model: "text-embedding-3-small",
        input: "hello",
        encoding_format: "float",
    });
    assert.equal(r.data[0].embedding.length, 8);
    assert.equal(r.usage.prompt_tokens, 5);
});

await check("model list", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"]);
});

await check("a wrong key is a 401 the SDK understands", async () => {
    const bad = new OpenAI({ baseURL, apiKey: "sk-wrong", maxRetries: 0 });
    await assert.rejects(
        bad.chat.completions.create({
            model: "gpt-4o-mini",
            messages: [{ role: "user", content: "x" }],
        }),
        (e) => e instanceof OpenAI.AuthenticationError && e.status === 401
               && e.code === "invalid_api_key",
    );
});

await check("an unknown model is a 404 the SDK understands", async () => {
    await assert.rejects(
        client.chat.completions.create({
            model: "gpt-9",
            messages: [{ role: "user", content: "x" }],
        }),
        (e) => e instanceof OpenAI.NotFoundError && e.code === "model_not_found",
    );
});

console.log(`openai-sdk: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
