#ifndef MLFLOW_FCGI_CSQLITE_SHIM_H
#define MLFLOW_FCGI_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
