// Validation of model specs and data; messages name the offending field in the terms of the
// JS API (layers[i].units, x, y, row numbers) so the binding can pass them straight on.
#include <cmath>
#include <string>

#include "kiln/engine.h"

namespace kiln {

namespace {

std::string layer_field(size_t i, const char* field) {
  return "layers[" + std::to_string(i) + "]." + field;
}

}  // namespace

std::string check_spec(const mlp_spec& spec) {
  if (spec.layers.empty()) return "the model has no layers; add at least one Dense layer";
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const dense_layer& l = spec.layers[i];
    if (l.inputs <= 0) {
      return layer_field(i, "inputs") + " is " + std::to_string(l.inputs) + "; it must be at least 1";
    }
    if (l.units <= 0) {
      return layer_field(i, "units") + " is " + std::to_string(l.units) + "; it must be at least 1";
    }
    if (l.inputs > kiln_max_layer_width || l.units > kiln_max_layer_width ||
        static_cast<int64_t>(l.inputs) * l.units > kiln_max_kernel_elements) {
      return "layers[" + std::to_string(i) + "] is too large (" + std::to_string(l.inputs) + " x " +
             std::to_string(l.units) + "); a Dense kernel may hold at most " +
             std::to_string(kiln_max_kernel_elements) + " weights";
    }
    if (l.act != kiln_act_linear && l.act != kiln_act_relu) {
      return layer_field(i, "activation") + " is not a supported activation";
    }
    if (i > 0 && l.inputs != spec.layers[i - 1].units) {
      return layer_field(i, "inputs") + " is " + std::to_string(l.inputs) + " but " +
             layer_field(i - 1, "units") + " is " + std::to_string(spec.layers[i - 1].units) +
             "; each Dense layer's inputs must equal the previous layer's units";
    }
  }
  return "";
}

std::string check_data(const mlp_spec& spec, const float* x, int64_t x_count, const int32_t* y,
                       int64_t rows) {
  const int64_t inputs = spec.layers.front().inputs;
  const int32_t classes = spec.layers.back().units;
  if (rows <= 0) return "y is empty; pass at least one labelled row";
  if (x_count != rows * inputs) {
    return "x has " + std::to_string(x_count) + " values, but y has " + std::to_string(rows) +
           " labels and the first Dense layer has " + std::to_string(inputs) +
           " inputs, so x needs " + std::to_string(rows) + " x " + std::to_string(inputs) + " = " +
           std::to_string(rows * inputs) + " values (row-major)";
  }
  for (int64_t r = 0; r < rows; ++r) {
    if (y[r] < 0 || y[r] >= classes) {
      return "label " + std::to_string(y[r]) + " at row " + std::to_string(r) +
             " is out of range: the last Dense layer has " + std::to_string(classes) +
             " units, so labels must be 0.." + std::to_string(classes - 1);
    }
  }
  for (int64_t i = 0; i < x_count; ++i) {
    if (!std::isfinite(x[i])) {
      const char* what = std::isnan(x[i]) ? "NaN" : x[i] > 0 ? "Infinity" : "-Infinity";
      return std::string("x has a non-finite value (") + what + ") at row " +
             std::to_string(i / inputs) + ", column " + std::to_string(i % inputs);
    }
  }
  return "";
}

std::vector<int64_t> weight_sizes(const mlp_spec& spec) {
  std::vector<int64_t> sizes;
  for (const dense_layer& l : spec.layers) {
    sizes.push_back(static_cast<int64_t>(l.inputs) * l.units);
    sizes.push_back(l.units);
  }
  return sizes;
}

const char* version() { return "kiln-native 0.1.0 (cpu)"; }

}  // namespace kiln
