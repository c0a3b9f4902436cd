// Reads a model spec (exec/model_spec.h) from the plain JS object common/model produces.
// Property names are camelCase versions of the C++ fields. Throws a JS TypeError naming the
// offending entry ("spec.params[2].shape ...") and returns false on bad input.
#pragma once

#include <napi.h>

#include "exec/model_spec.h"

namespace kiln::js {

bool read_model_spec(Napi::Env env, const Napi::Value& v, model_spec& out);

}  // namespace kiln::js
