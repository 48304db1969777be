/* secret: keeping a process's secrets out of core dumps; see secret.h. */
#include <sys/prctl.h>
#include <sys/resource.h>

#include "core/secret.h"

int
secret_protect_process(void)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -1;
	return 0;
}
