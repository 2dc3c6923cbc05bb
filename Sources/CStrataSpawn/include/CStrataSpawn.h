#include "strata_spawn.h"
#include "strata_sys.h"
#include "strata_signals.h"
