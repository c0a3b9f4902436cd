// Small helpers the bindings share for argument errors: JS exceptions with clear messages.
#pragma once

#include <napi.h>

#include <string>

namespace kiln::js {

inline void throw_type(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

inline void throw_range(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
}

// "a number", "an array", ...: what a wrong argument was, for messages.
inline const char* type_name(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_object: return v.IsArray() ? "an array" : v.IsTypedArray() ? "a typed array" : "an object";
    case napi_function: return "a function";
    case napi_external: return "an external";
    case napi_bigint: return "a bigint";
  }
  return "a value";
}

}  // namespace kiln::js
