/* status.c: names and messages of the engine's status codes and value types. */
#include "kapsule_wasm.h"

static const struct {
    int code;
    const char *name;
    const char *msg;
} rows[] = {
#define ROW_(id, num, str, msg) {num, str, msg},
    KW_STATUS_LIST(ROW_)
#undef ROW_
};

const char *kw_status_name(int code)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == code) return rows[i].name;
    return NULL;
}

const char *kw_status_message(int code)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == code) return rows[i].msg;
    return "unknown status";
}

int kw_status_is_trap(int code)
{
    return code >= 200 && code < 300;
}

const char *kw_valtype_name(uint8_t t)
{
    switch (t) {
    case KW_I32: return "i32";
    case KW_I64: return "i64";
    case KW_F32: return "f32";
    case KW_F64: return "f64";
    case KW_V128: return "v128";
    case KW_FUNCREF: return "funcref";
    case KW_EXTERNREF: return "externref";
    default: return "?";
    }
}
