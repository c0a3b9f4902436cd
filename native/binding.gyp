{
  "targets": [
    {
      "target_name": "kiln_native",
      "sources": [ "<!@(node sources.cjs)" ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "include",
        "src",
        "backends"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        # Node-API calls that fail because the environment is shutting down
        # (process.exit or worker termination during a fit) must not abort.
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      # -ffp-contract=off: no fused multiply-add, so the same seed gives the same
      # numbers on x86-64 and arm64. -fno-math-errno: sqrt and friends may vectorise
      # (Kiln never reads errno). No -march=native: the binary must be portable.
      "cflags_cc": [ "-std=c++17", "-O3", "-ffp-contract=off", "-fno-math-errno" ],
      "conditions": [
        # dlopen for the CUDA plugin (exec/cuda_plugin.cpp); part of libc from glibc 2.34 on.
        [ "OS=='linux'", { "libraries": [ "-ldl" ] } ],
        [ "OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "CLANG_CXX_LIBRARY": "libc++",
            "MACOSX_DEPLOYMENT_TARGET": "10.15",
            "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "OTHER_CPLUSPLUSFLAGS": [ "-ffp-contract=off", "-fno-math-errno" ]
          }
        } ],
        [ "OS=='win'", {
          "defines": [ "NOMINMAX" ],
          "msvs_settings": {
            "VCCLCompilerTool": {
              "AdditionalOptions": [ "/std:c++17", "/O2", "/fp:precise" ],
              "ExceptionHandling": 0
            }
          }
        } ]
      ]
    }
  ]
}
