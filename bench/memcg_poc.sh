# The 1000-memcg proof of concept from GitHub's "debugging network stalls on
# Kubernetes" write-up, run with busybox sh: the shell loop a person would
# write, one `sh -c` per memcg. Arguments: N MOUNT PARENT DIR.
# Kept as close to the original as busybox allows; only the paths are ours.
n=$1
prefix=$2/$3/aklis
dir=$4
i=1
while [ $i -le $n ]; do
  mkdir $prefix-$i
  sh -c "echo \$\$ > $prefix-$i/tasks; mkdir $dir/$i; echo 'fubao' > $dir/$i/pandada8;"
  i=$((i + 1))
done
i=1
while [ $i -le $n ]; do
  rmdir $prefix-$i
  i=$((i + 1))
done
