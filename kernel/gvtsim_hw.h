/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef GVTSIM_HW_H
#define GVTSIM_HW_H
/* placeholder: register map being written */
#endif
