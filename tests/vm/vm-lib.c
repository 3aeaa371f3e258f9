// SPDX-License-Identifier: MIT
#include "vm-common.h"
int main(void) { return 77; }
