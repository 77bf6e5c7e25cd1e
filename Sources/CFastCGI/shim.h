#ifndef MLFLOW_FCGI_CFASTCGI_SHIM_H
#define MLFLOW_FCGI_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#endif
