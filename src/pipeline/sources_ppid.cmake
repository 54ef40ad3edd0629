# PPID, job options and the job log (the "ppid" area).
target_sources(dcnumc_lib PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/ppid.c
    ${CMAKE_CURRENT_LIST_DIR}/ppid_decode.c
    ${CMAKE_CURRENT_LIST_DIR}/job.c
    ${CMAKE_CURRENT_LIST_DIR}/job_json.c)
