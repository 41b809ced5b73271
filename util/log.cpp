#include "util/log.hpp"
