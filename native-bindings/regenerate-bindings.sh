#!/usr/bin/env bash
# Runs jextract over the CUDA headers for exactly the functions the bindings use, writing to
# native-bindings/target/jextract/ (not to src/): compare its descriptors with the hand-written classes in
# src/main/java/dev/clipengine/cuda when a CUDA or jextract version changes.
#
# Why the committed bindings are not jextract's output: jextract emits static holders bound to one library name at
# class-initialisation time, while the engine must try several sonames (libcublas.so.13, .12, .11), pick them to suit
# the driver, and report absence in one line instead of failing class loading. The committed classes follow jextract's
# conventions otherwise (one class per library, C names, MethodHandles created once, MemorySegment in/out, raw status
# codes) so a diff against this output is line-by-line readable.
#
# STATUS: never run — jextract is not installed where this was written (and cannot be downloaded there). The function
# lists below are checked against the bindings by RegenerateScriptTest, so they stay in step.
#
# Usage: regenerate-bindings.sh [CUDA_HOME]   (needs jextract on PATH; cuBLAS headers under CUDA_HOME/include)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cuda="${1:-${CUDA_HOME:-/usr/local/cuda}}"
out="$here/target/jextract"
command -v jextract >/dev/null || { echo "regenerate-bindings.sh: jextract not on PATH" >&2; exit 3; }

RUNTIME_FUNCTIONS=(cudaRuntimeGetVersion cudaDriverGetVersion cudaGetDeviceCount cudaSetDevice cudaGetDevice
    cudaGetDeviceProperties cudaDeviceGetAttribute cudaMemGetInfo cudaGetErrorName cudaGetErrorString cudaGetLastError
    cudaDeviceSynchronize cudaStreamCreateWithFlags cudaStreamDestroy cudaStreamSynchronize cudaMalloc cudaFree
    cudaMallocAsync cudaFreeAsync cudaMallocHost cudaFreeHost cudaMemcpy cudaMemcpyAsync cudaMemsetAsync
    cudaEventCreateWithFlags cudaEventRecord cudaEventSynchronize cudaEventElapsedTime cudaEventDestroy)
DRIVER_FUNCTIONS=(cuInit cuDriverGetVersion cuGetErrorName cuGetErrorString cuDeviceGetCount cuDeviceGet
    cuDevicePrimaryCtxRetain cuDevicePrimaryCtxRelease_v2 cuCtxGetCurrent cuCtxSetCurrent cuCtxSynchronize
    cuModuleLoadData cuModuleLoadDataEx cuModuleGetFunction cuModuleUnload cuLaunchKernel cuFuncSetAttribute)
CUBLAS_FUNCTIONS=(cublasCreate_v2 cublasDestroy_v2 cublasGetVersion_v2 cublasGetProperty cublasSetStream_v2
    cublasSetMathMode cublasSetWorkspace_v2 cublasGetStatusName cublasGetStatusString cublasSgemm_v2 cublasGemmEx
    cublasSgemmStridedBatched cublasGemmStridedBatchedEx)

run() {   # run NAME HEADER LIBRARY FUNCTIONS...
    local name="$1" header="$2" lib="$3"; shift 3
    local args=()
    for f in "$@"; do args+=(--include-function "$f"); done
    jextract --output "$out" --target-package "dev.clipengine.cuda.jextract.$name" -I "$cuda/include" \
        -l ":$lib" "${args[@]}" "$cuda/include/$header"
}
rm -rf "$out"
run cudart cuda_runtime_api.h libcudart.so.13 "${RUNTIME_FUNCTIONS[@]}"
run cuda cuda.h libcuda.so.1 "${DRIVER_FUNCTIONS[@]}"
run cublas cublas_api.h libcublas.so.13 "${CUBLAS_FUNCTIONS[@]}"
echo "jextract output in $out; diff its FunctionDescriptors against src/main/java/dev/clipengine/cuda"
