// oneDNN's C API (Debian: libdnnl-dev, oneDNN 2.6 built with OpenMP threading) and the
// two OpenMP calls that set and read its thread count. omp.h lives in gcc's private
// include folder, so the two prototypes are declared here (libgomp, linked by the map).
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);

// DNNL_MEMORY_ALLOCATE is a cast macro, which Swift does not import.
static inline void *cdnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
