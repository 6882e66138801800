/*
 * Prints the CUDA ABI facts the Java bindings hard-code, one "NAME VALUE" per line, straight from the toolkit's
 * headers: enum values, struct offsets and sizes. gen-abi.sh compiles this with gcc against a CUDA toolkit and writes
 * src/test/resources/dev/clipengine/cuda/cuda-abi.txt; CudaAbiTest compares every line with the Java constant of the
 * same name. cuBLAS is not here: its headers are not part of the toolkit install these bindings were written on
 * (see GPU-TODO.md).
 */
#include <stddef.h>
#include <stdio.h>
#include <cuda.h>
#include <cuda_runtime_api.h>
#include <library_types.h>

#define P(x) printf("%s %lld\n", #x, (long long) (x))
#define OFF(s, f) printf("offsetof_%s_%s %zu\n", #s, #f, offsetof(struct s, f))

int main(void) {
    printf("CUDART_VERSION %d\n", CUDART_VERSION);
    printf("CUDA_VERSION %d\n", CUDA_VERSION);
    /* cudaDeviceProp: only the stable prefix is read by the bindings; the size bounds the buffer they allocate. */
    printf("sizeof_cudaDeviceProp %zu\n", sizeof(struct cudaDeviceProp));
    OFF(cudaDeviceProp, name);
    OFF(cudaDeviceProp, uuid);
    OFF(cudaDeviceProp, luid);
    OFF(cudaDeviceProp, luidDeviceNodeMask);
    OFF(cudaDeviceProp, totalGlobalMem);
    /* cudaError_t */
    P(cudaSuccess); P(cudaErrorInvalidValue); P(cudaErrorMemoryAllocation); P(cudaErrorInitializationError);
    P(cudaErrorStubLibrary); P(cudaErrorInsufficientDriver); P(cudaErrorCallRequiresNewerDriver);
    P(cudaErrorNoDevice); P(cudaErrorInvalidDevice); P(cudaErrorDeviceNotLicensed); P(cudaErrorNoKernelImageForDevice);
    P(cudaErrorInvalidPtx); P(cudaErrorUnsupportedPtxVersion); P(cudaErrorJitCompilerNotFound);
    P(cudaErrorInvalidResourceHandle); P(cudaErrorIllegalAddress); P(cudaErrorLaunchOutOfResources);
    P(cudaErrorLaunchFailure); P(cudaErrorNotSupported); P(cudaErrorSystemDriverMismatch);
    P(cudaErrorCompatNotSupportedOnDevice); P(cudaErrorDevicesUnavailable); P(cudaErrorInvalidDeviceFunction);
    /* cudaMemcpyKind, stream and event flags */
    P(cudaMemcpyHostToHost); P(cudaMemcpyHostToDevice); P(cudaMemcpyDeviceToHost); P(cudaMemcpyDeviceToDevice);
    P(cudaMemcpyDefault); P(cudaStreamDefault); P(cudaStreamNonBlocking); P(cudaEventDefault); P(cudaEventDisableTiming);
    /* cudaDeviceAttr */
    P(cudaDevAttrMaxThreadsPerBlock); P(cudaDevAttrWarpSize); P(cudaDevAttrMultiProcessorCount);
    P(cudaDevAttrComputeCapabilityMajor); P(cudaDevAttrComputeCapabilityMinor);
    P(cudaDevAttrMaxSharedMemoryPerBlockOptin); P(cudaDevAttrMemoryPoolsSupported);
    /* CUresult */
    P(CUDA_SUCCESS); P(CUDA_ERROR_INVALID_VALUE); P(CUDA_ERROR_OUT_OF_MEMORY); P(CUDA_ERROR_NOT_INITIALIZED);
    P(CUDA_ERROR_DEINITIALIZED); P(CUDA_ERROR_STUB_LIBRARY); P(CUDA_ERROR_NO_DEVICE); P(CUDA_ERROR_INVALID_DEVICE);
    P(CUDA_ERROR_INVALID_IMAGE); P(CUDA_ERROR_INVALID_CONTEXT); P(CUDA_ERROR_NO_BINARY_FOR_GPU);
    P(CUDA_ERROR_INVALID_PTX); P(CUDA_ERROR_JIT_COMPILER_NOT_FOUND); P(CUDA_ERROR_UNSUPPORTED_PTX_VERSION);
    P(CUDA_ERROR_INVALID_HANDLE); P(CUDA_ERROR_NOT_FOUND); P(CUDA_ERROR_ILLEGAL_ADDRESS);
    P(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES); P(CUDA_ERROR_LAUNCH_FAILED); P(CUDA_ERROR_NOT_SUPPORTED);
    P(CUDA_ERROR_SYSTEM_DRIVER_MISMATCH);
    /* CUjit_option, CUfunction_attribute */
    P(CU_JIT_INFO_LOG_BUFFER); P(CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES); P(CU_JIT_ERROR_LOG_BUFFER);
    P(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES); P(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
    /* cudaDataType (library_types.h), shared with cuBLAS */
    P(CUDA_R_32F); P(CUDA_R_16F); P(CUDA_R_16BF);
    /* libraryPropertyType, for cublasGetProperty */
    P(MAJOR_VERSION); P(MINOR_VERSION); P(PATCH_LEVEL);
    return 0;
}
