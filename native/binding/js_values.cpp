#include "js_values.h"

#include "cpu/cpu_kernels.h"
#include "exec/cuda_plugin.h"
#include "exec/thread_pool.h"
#include "ir/op_table.h"
#include "reference/reference.h"

namespace kiln::js {

bool dtype_from_name(const std::string& name, kiln_dtype& out) {
  if (name == "float32") out = kiln_dtype_f32;
  else if (name == "float64") out = kiln_dtype_f64;
  else if (name == "int32") out = kiln_dtype_i32;
  else return false;
  return true;
}

napi_typedarray_type array_type(kiln_dtype t) {
  switch (t) {
    case kiln_dtype_f64: return napi_float64_array;
    case kiln_dtype_i32: return napi_int32_array;
    default: return napi_float32_array;
  }
}

const char* array_name(kiln_dtype t) {
  switch (t) {
    case kiln_dtype_f64: return "Float64Array";
    case kiln_dtype_i32: return "Int32Array";
    default: return "Float32Array";
  }
}

bool read_shape(Napi::Env env, const Napi::Value& v, const std::string& what, shape_t& out) {
  if (!v.IsArray()) {
    Napi::TypeError::New(env, what + " must be an array of whole numbers").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array arr = v.As<Napi::Array>();
  out.clear();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value d = arr.Get(i);
    const double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1e300;
    if (x != static_cast<double>(static_cast<int64_t>(x)) || x < -1e15 || x > 1e15) {
      Napi::TypeError::New(env, what + " must be an array of whole numbers").ThrowAsJavaScriptException();
      return false;
    }
    out.push_back(static_cast<int64_t>(x));
  }
  return true;
}

// JS attribute objects: integers and booleans become ints, other numbers floats, arrays of
// whole numbers int lists, strings strings ("dtype" strings become the dtype enum).
bool read_attrs(Napi::Env env, const Napi::Value& v, attrs& at) {
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsObject() || v.IsArray()) {
    Napi::TypeError::New(env, "attributes must be an object").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Object obj = v.As<Napi::Object>();
  Napi::Array keys = obj.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value x = obj.Get(key);
    if (x.IsBoolean()) {
      at.ints[key] = x.As<Napi::Boolean>().Value() ? 1 : 0;
    } else if (x.IsNumber()) {
      const double d = x.As<Napi::Number>().DoubleValue();
      if (d == static_cast<double>(static_cast<int64_t>(d)) && d > -1e15 && d < 1e15) at.ints[key] = static_cast<int64_t>(d);
      else at.floats[key] = d;
    } else if (x.IsArray()) {
      shape_t list;
      if (!read_shape(env, x, "attribute '" + key + "'", list)) return false;
      at.int_lists[key] = list;
    } else if (x.IsString()) {
      const std::string s = x.As<Napi::String>().Utf8Value();
      kiln_dtype t;
      if (key == "dtype" && dtype_from_name(s, t)) at.ints[key] = t;
      else if (key == "of") {
        const kiln_op op = op_by_name(s);
        if (op == kiln_op_count) {
          Napi::TypeError::New(env, "attribute 'of' names no op: " + s).ThrowAsJavaScriptException();
          return false;
        }
        at.ints[key] = op;
      } else at.strings[key] = s;
    } else {
      Napi::TypeError::New(env, "attribute '" + key + "' must be a number, boolean, string or array").ThrowAsJavaScriptException();
      return false;
    }
  }
  return true;
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names{"reference", "cpu"};
  if (cuda_kernels()) names.push_back("cuda");
  return names;
}

bool read_thread_pool(Napi::Env env, const Napi::Value& v, const std::string& what, thread_pool*& pool) {
  constexpr int32_t max_threads = 256;
  const double n = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0;
  if (!(n >= 1 && n <= max_threads && n == static_cast<int32_t>(n))) {
    const std::string got = v.IsNumber() ? v.ToString().Utf8Value() : "not a number";
    Napi::RangeError::New(env, what + " is " + got + "; it must be a whole number between 1 and " + std::to_string(max_threads)).ThrowAsJavaScriptException();
    return false;
  }
  pool = shared_thread_pool(static_cast<int32_t>(n));
  return true;
}

bool backend_by_name(const std::string& name, const kernel_table*& kernels, thread_pool*& pool, std::string& error, bool& unknown) {
  unknown = false;
  pool = nullptr;
  if (name == "reference") {
    kernels = &reference_kernels();
    return true;
  }
  if (name == "cpu") {
    kernels = &cpu_kernels();
    pool = &default_thread_pool();
    return true;
  }
  if (name == "cuda") {
    kernels = cuda_kernels();
    if (kernels) return true;
    error = "the cuda backend is not available: " + cuda_backend_status().reason;
    return false;
  }
  unknown = true;
  error = "backend must be 'reference', 'cpu' or 'cuda', got '" + name + "'";
  return false;
}

}  // namespace kiln::js
