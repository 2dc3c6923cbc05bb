#include "strata_spawn.h"
#include "strata_sys.h"
