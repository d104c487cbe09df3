"""paotui (跑腿): the domain package shared by every Lambda function as a layer."""
