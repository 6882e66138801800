/*
 * Takes the address of every CUDA runtime and driver function the Java bindings bind, through the toolkit headers, so
 * that `nm -u` of the object lists the symbol each C name really resolves to (the headers rename some, e.g.
 * cuDevicePrimaryCtxRelease -> cuDevicePrimaryCtxRelease_v2). CudaSymbolsTest compiles this and compares the list with
 * the names the bindings ask the libraries for. Keep in step with CudaRuntime.java and CudaDriver.java.
 */
#include <cuda.h>
#include <cuda_runtime_api.h>

void *cuda_symbols[] = {
    (void *) cudaRuntimeGetVersion, (void *) cudaDriverGetVersion, (void *) cudaGetDeviceCount, (void *) cudaSetDevice,
    (void *) cudaGetDevice, (void *) cudaGetDeviceProperties, (void *) cudaDeviceGetAttribute, (void *) cudaMemGetInfo,
    (void *) cudaGetErrorName, (void *) cudaGetErrorString, (void *) cudaGetLastError, (void *) cudaDeviceSynchronize,
    (void *) cudaStreamCreateWithFlags, (void *) cudaStreamDestroy, (void *) cudaStreamSynchronize, (void *) cudaMalloc,
    (void *) cudaFree, (void *) cudaMallocAsync, (void *) cudaFreeAsync, (void *) cudaMallocHost, (void *) cudaFreeHost,
    (void *) cudaMemcpy, (void *) cudaMemcpyAsync, (void *) cudaMemsetAsync, (void *) cudaEventCreateWithFlags,
    (void *) cudaEventRecord, (void *) cudaEventSynchronize, (void *) cudaEventElapsedTime, (void *) cudaEventDestroy,
    (void *) cuInit, (void *) cuDriverGetVersion, (void *) cuGetErrorName, (void *) cuGetErrorString,
    (void *) cuDeviceGetCount, (void *) cuDeviceGet, (void *) cuDevicePrimaryCtxRetain, (void *) cuDevicePrimaryCtxRelease,
    (void *) cuCtxGetCurrent, (void *) cuCtxSetCurrent, (void *) cuCtxSynchronize, (void *) cuModuleLoadData,
    (void *) cuModuleLoadDataEx, (void *) cuModuleGetFunction, (void *) cuModuleUnload, (void *) cuLaunchKernel,
    (void *) cuFuncSetAttribute,
};
