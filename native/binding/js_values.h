// Conversions the bindings share: shapes, dtypes and IR attributes from JS values. Each reader
// throws a JS exception with a clear message and returns false on bad input.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "kernel.h"
#include "kiln/ir.h"

namespace kiln::js {

// "float32", "float64", "int32".
bool dtype_from_name(const std::string& name, kiln_dtype& out);
napi_typedarray_type array_type(kiln_dtype t);
const char* array_name(kiln_dtype t);  // "Float32Array", ...

bool read_shape(Napi::Env env, const Napi::Value& v, const std::string& what, shape_t& out);
// JS attribute objects: integers and booleans become ints, other numbers floats, arrays of whole
// numbers int lists, strings strings ("dtype" strings become the dtype enum, "of" an op).
bool read_attrs(Napi::Env env, const Napi::Value& v, attrs& at);

// The backends that can run here: reference, cpu, and cuda when its plugin found a device.
std::vector<std::string> backend_names();
// The kernels and thread pool of a backend by name ("cpu", "reference", "cuda"); false with
// `error` (a TypeError's text when `unknown` is set, else why the backend cannot run here).
bool backend_by_name(const std::string& name, const kernel_table*& kernels, thread_pool*& pool, std::string& error, bool& unknown);
// A thread count (`what`, e.g. "options.threads": a whole number from 1 to 256) as the shared
// pool of that size (null for one thread: loops run on the caller).
bool read_thread_pool(Napi::Env env, const Napi::Value& v, const std::string& what, thread_pool*& pool);

}  // namespace kiln::js
