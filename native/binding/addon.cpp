// Node-API entry point of the Kiln engine: registers each binding (graph, model, gemm, devices).
// Bindings are thin: they convert and validate arguments and run the engine on worker threads.
#include <napi.h>

void kiln_register_graph_binding(Napi::Env env, Napi::Object exports);
void kiln_register_gemm_binding(Napi::Env env, Napi::Object exports);
void kiln_register_model_binding(Napi::Env env, Napi::Object exports);
void kiln_register_device_binding(Napi::Env env, Napi::Object exports);

namespace {

Napi::Value version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), "kiln-native 0.2.0");
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, version, "version"));
  kiln_register_graph_binding(env, exports);
  kiln_register_model_binding(env, exports);
  kiln_register_gemm_binding(env, exports);
  kiln_register_device_binding(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(kiln_native, init)
