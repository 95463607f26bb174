/*
 * agent.c: automation. Given a goal capsule ("agent.goal", body
 * {"goal": text, "steps": uint}), the agent plans the goal as that many
 * steps and emits one "agent.task" capsule per step through its emit
 * handle (the policy sets how many it may emit; the runtime signs and
 * ingests them later). Each task is stamped with the clock and a random
 * nonce: both are oracles, recorded in the transcript, so a replay emits
 * exactly the same tasks.
 *
 * Task body: {"at": ns, "goal": text, "step": i, "nonce": bstr(8)}, keys in
 * canonical order. Result: {"emitted": n}. When the emit budget runs out
 * before the plan does, the agent stops and says so in the log.
 */
#include "kapsule.h"

#define MAX_STEPS 100

KAPSULE_ENTRY int kapsule_run(void)
{
    int32_t blen;
    uint8_t *body = kapsule_body_get(&blen);
    kcbor v;
    const uint8_t *goal;
    uint32_t glen;
    uint64_t steps;
    if (!body || kcbor_find(kcbor_init(body, (size_t)blen), "goal", &v) ||
        kcbor_str(&v, KCBOR_TEXT, &goal, &glen) ||
        kcbor_find(kcbor_init(body, (size_t)blen), "steps", &v) || kcbor_uint(&v, &steps) ||
        steps == 0 || steps > MAX_STEPS) {
        kapsule_reject("a goal body is {\"goal\": text, \"steps\": 1..100}");
        return 1;
    }
    int32_t h = handle_find("emit", 4, 0, 0);
    if (h == 0) {
        kapsule_reject("the agent holds no emit handle");
        return 1;
    }
    int64_t at = clock_now();
    uint64_t emitted = 0;
    size_t cap = 64 + glen;
    uint8_t *task = kalloc(cap);
    for (uint64_t i = 1; i <= steps; i++) {
        if (h == 0) {
            klog(K_WARN, "emit budget used up before the plan was done");
            break;
        }
        uint8_t nonce[8];
        random_bytes(nonce, sizeof nonce);
        kcbor_w w = {task, 0, cap, 0};
        kcbor_put_head(&w, KCBOR_MAP, 4);
        kcbor_put_text(&w, "at");
        kcbor_put_int(&w, at);
        kcbor_put_head(&w, KCBOR_TEXT, 4);
        kcbor_put_raw(&w, "goal", 4);
        kcbor_put_head(&w, KCBOR_TEXT, glen);
        kcbor_put_raw(&w, goal, glen);
        kcbor_put_text(&w, "step");
        kcbor_put_uint(&w, i);
        kcbor_put_text(&w, "nonce");
        kcbor_put_bytes(&w, nonce, sizeof nonce);
        h = emit_capsule(h, "agent.task", 10, task, (uint32_t)w.len);
        emitted++;
    }
    uint8_t out[16];
    kcbor_w w = {out, 0, sizeof out, 0};
    kcbor_put_head(&w, KCBOR_MAP, 1);
    kcbor_put_text(&w, "emitted");
    kcbor_put_uint(&w, emitted);
    submit_capsule_result(out, (uint32_t)w.len);
    return 0;
}
