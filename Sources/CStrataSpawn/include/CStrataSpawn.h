#include "strata_spawn.h"
#include "strata_sys.h"
#include "strata_signals.h"
#include "strata_userns.h"
