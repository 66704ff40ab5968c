/* report_xlsx.c - the XLSX report (being written) */
#include "config.h"
