/*
 * runtime_relay_test.c: a relay's rules and decisions (kapsule.h,
 * "relays") through the public API alone: malformed rules, unknown fields
 * and rules that would need the body are refused with E_RELAY_RULES and
 * the field; capsules are allowed or refused by type, author, flags, size,
 * parents and encryption, first match first; the subject carries the route
 * flags and the type; an encrypted capsule is routed by its flags with no
 * key anywhere in the relay.
 */
#include "kapsule.h"
#include "test.h"

static kp_capsule *pack(kp_key *k, const char *type, const char *lang, const char *to,
                        const uint8_t *parent)
{
    kp_capsule_pack_opts o;
    memset(&o, 0, sizeof o);
    o.type = type;
    o.author = k;
    o.body = (const uint8_t *)"words";
    o.body_len = 5;
    o.created = 1700000000;
    kp_capsule_flag f = {"lang", 4, lang, lang ? strlen(lang) : 0};
    if (lang) {
        o.flags = &f;
        o.flag_count = 1;
    }
    const char *tos[1] = {to};
    if (to) {
        o.to = tos;
        o.to_count = 1;
    }
    o.parents = (const uint8_t(*)[KP_ID_BYTES])parent;
    o.parent_count = parent ? 1 : 0;
    kp_capsule *c = NULL;
    kp_error e;
    if (kp_capsule_pack(&o, NULL, &c, &e)) {
        printf("# pack: %s\n", e.msg);
        abort();
    }
    return c;
}

static int rules_error(const char *json, char *field, size_t cap)
{
    kp_relay_rules *r = NULL;
    kp_error e;
    int rc = kp_relay_rules_parse((const uint8_t *)json, strlen(json), &r, &e);
    kp_relay_rules_free(r);
    if (rc && field) snprintf(field, cap, "%s", e.field);
    return rc;
}

TEST(malformed_rules_are_refused_with_the_field)
{
    char f[64];
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1", NULL, 0), KP_E_RELAY_RULES);
    CHECK_EQ(rules_error("[]", NULL, 0), KP_E_RELAY_RULES);
    CHECK_EQ(rules_error("{\"rules\": []}", f, sizeof f), KP_E_RELAY_RULES);
    CHECK_EQ(strcmp(f, "kapsule_relay"), 0);
    CHECK_EQ(rules_error("{\"kapsule_relay\": 2}", NULL, 0), KP_E_RELAY_RULES);
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1, \"colour\": \"red\"}", f, sizeof f),
             KP_E_RELAY_RULES);
    CHECK_EQ(strcmp(f, "colour"), 0);
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1, \"rules\": [{\"action\": \"allow\", "
                         "\"body_contains\": \"spam\"}]}",
                         f, sizeof f),
             KP_E_RELAY_RULES);
    CHECK_EQ(strcmp(f, "rules[0].body_contains"), 0);
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1, \"rules\": [{\"type\": [\"post\"]}]}", f, sizeof f),
             KP_E_RELAY_RULES);
    CHECK_EQ(strcmp(f, "rules[0].action"), 0);
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1, \"rules\": [{\"action\": \"allow\", "
                         "\"type\": [\"Post!\"]}]}",
                         f, sizeof f),
             KP_E_RELAY_RULES);
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1, \"rules\": [{\"action\": \"allow\", "
                         "\"author\": [\"ed25519:nothex\"]}]}",
                         f, sizeof f),
             KP_E_RELAY_RULES);
    CHECK_EQ(strcmp(f, "rules[0].author"), 0);
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1, \"subject_prefix\": \"a.b\"}", NULL, 0),
             KP_E_RELAY_RULES);
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1, \"max_bytes\": -1}", NULL, 0), KP_E_RELAY_RULES);
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1, \"kapsule_relay\": 1}", NULL, 0),
             KP_E_RELAY_RULES); /* a duplicate key */
    CHECK_EQ(rules_error("{\"kapsule_relay\": 1}", NULL, 0), KP_OK);
}

TEST(decisions_by_what_is_visible)
{
    kp_error e;
    kp_key *alice, *mallory, *stranger;
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &alice, &e), KP_OK);
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &mallory, &e), KP_OK);
    CHECK_EQ(kp_key_generate(KP_ALG_ED25519, &stranger, &e), KP_OK);
    char mal[KP_KEY_ID_MAX], rcpt[KP_AGE_RECIPIENT_BYTES];
    size_t n;
    const uint8_t *pk = kp_key_public(mallory, &n);
    CHECK_EQ(kp_key_id_format(KP_ALG_ED25519, pk, n, mal, &e), KP_OK);
    kp_key_age_recipient(stranger, rcpt);
    char json[2048];
    snprintf(json, sizeof json,
             "{\"kapsule_relay\": 1, \"subject_prefix\": \"town\", \"route_flags\": [\"lang\"],"
             " \"default\": \"deny\", \"rules\": ["
             " {\"name\": \"no mallory\", \"action\": \"deny\", \"author\": [\"%s\"]},"
             " {\"name\": \"no big replies\", \"action\": \"deny\", \"type\": [\"comment\"],"
             "  \"min_parents\": 1, \"min_bytes\": 100},"
             " {\"name\": \"sealed chat\", \"action\": \"allow\", \"type\": [\"chat\"],"
             "  \"encrypted\": true, \"flags\": {\"lang\": \"*\"}},"
             " {\"name\": \"talk\", \"action\": \"allow\", \"type\": [\"post\", \"comment\", "
             "  \"blocklist.*\"], \"flags\": {\"lang\": [\"en\", \"de\"]}}]}",
             mal);
    kp_relay_rules *r;
    CHECK_EQ(kp_relay_rules_parse((const uint8_t *)json, strlen(json), &r, &e), KP_OK);
    kp_relay_verdict v;
    size_t len;
    const uint8_t *b;

    kp_capsule *post = pack(alice, "post", "en", NULL, NULL);
    b = kp_capsule_bytes(post, &len);
    CHECK_EQ(kp_relay_check(r, b, len, &v, &e), KP_OK);
    CHECK(v.accept && v.has_id);
    CHECK_EQ(strcmp(v.rule, "talk"), 0);
    CHECK(len >= 100); /* a post is no reply: "no big replies" does not match it */
    CHECK_EQ(strcmp(v.subject, "town.en.post"), 0);
    char id[KP_ID_HEX_BYTES];
    kp_id_format(kp_capsule_id(post), id);
    CHECK_EQ(strcmp(v.msg_id, id), 0);

    kp_capsule *c = pack(alice, "blocklist.update", "de", NULL, NULL);
    b = kp_capsule_bytes(c, &len);
    CHECK_EQ(kp_relay_check(r, b, len, &v, &e), KP_OK);
    CHECK_EQ(strcmp(v.subject, "town.de.blocklist.update"), 0);
    kp_capsule_free(c);

    c = pack(alice, "post", "fr", NULL, NULL); /* no rule matches: the default */
    b = kp_capsule_bytes(c, &len);
    CHECK_EQ(kp_relay_check(r, b, len, &v, &e), KP_E_RELAY_REFUSED);
    CHECK(!v.accept && v.has_id);
    CHECK_EQ(strcmp(v.rule, ""), 0);
    kp_capsule_free(c);

    c = pack(mallory, "post", "en", NULL, NULL);
    b = kp_capsule_bytes(c, &len);
    CHECK_EQ(kp_relay_check(r, b, len, &v, &e), KP_E_RELAY_REFUSED);
    CHECK_EQ(strcmp(v.rule, "no mallory"), 0);
    kp_capsule_free(c);

    c = pack(alice, "comment", "en", NULL, kp_capsule_id(post)); /* a reply: over 100 bytes */
    b = kp_capsule_bytes(c, &len);
    CHECK(len > 100);
    CHECK_EQ(kp_relay_check(r, b, len, &v, &e), KP_E_RELAY_REFUSED);
    CHECK_EQ(strcmp(v.rule, "no big replies"), 0);
    kp_capsule_free(c);

    /* encrypted to someone the relay knows nothing of: routed by its flag */
    c = pack(alice, "chat", "sv", rcpt, NULL);
    CHECK(kp_capsule_encrypted(c));
    b = kp_capsule_bytes(c, &len);
    CHECK_EQ(kp_relay_check(r, b, len, &v, &e), KP_OK);
    CHECK_EQ(strcmp(v.rule, "sealed chat"), 0);
    CHECK_EQ(strcmp(v.subject, "town.sv.chat"), 0);
    kp_capsule_free(c);
    c = pack(alice, "chat", "sv", NULL, NULL); /* the same in the clear: no rule allows it */
    b = kp_capsule_bytes(c, &len);
    CHECK_EQ(kp_relay_check(r, b, len, &v, &e), KP_E_RELAY_REFUSED);
    kp_capsule_free(c);

    /* what is not a capsule, or is forged, is refused before any rule */
    b = kp_capsule_bytes(post, &len);
    uint8_t *bad = malloc(len);
    memcpy(bad, b, len);
    bad[len - 1] ^= 1; /* the signature's last byte */
    CHECK_EQ(kp_relay_check(r, bad, len, &v, &e), KP_E_SIG_INVALID);
    CHECK(!v.accept);
    CHECK_EQ(kp_relay_check(r, bad, len / 2, &v, &e) != KP_OK, 1);
    CHECK(!v.has_id);
    free(bad);
    kp_capsule_free(post);
    kp_relay_rules_free(r);

    /* a flag value that is no subject token routes as "_" */
    CHECK_EQ(kp_relay_rules_parse((const uint8_t *)"{\"kapsule_relay\": 1, \"default\": \"allow\","
                                                   " \"route_flags\": [\"lang\", \"topic\"]}",
                                  strlen("{\"kapsule_relay\": 1, \"default\": \"allow\","
                                         " \"route_flags\": [\"lang\", \"topic\"]}"),
                                  &r, &e),
             KP_OK);
    c = pack(alice, "post", "en gb", NULL, NULL);
    b = kp_capsule_bytes(c, &len);
    CHECK_EQ(kp_relay_check(r, b, len, &v, &e), KP_OK);
    CHECK_EQ(strcmp(v.subject, "kapsule._._.post"), 0);
    kp_capsule_free(c);
    kp_relay_rules_free(r);
    kp_key_free(alice);
    kp_key_free(mallory);
    kp_key_free(stranger);
}
